/** A value as shown in a problem message: JSON, cut short so a huge value cannot flood stderr. */
export function showValue(value: unknown): string {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

/** What stands for a secret's value in every message: the value itself never does. */
export const HIDDEN = '(hidden)';

/**
 * A whole JSON value that is a list or a record, described without its content (which may hold
 * a password), scalars shown as they are.
 */
export function showShape(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return showValue(value);
}
