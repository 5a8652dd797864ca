import { z } from 'zod';
import { configSchema, type ConfigKey } from './schema';
import { OPTIONS_BY_KEY, type OptionKind } from './options';

/** Where a value was written: text (a CLI flag or an environment variable) or a JSON config file. */
export type ValueOrigin = 'text' | 'file';

export type ParsedValue = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

const INVALID: ParsedValue = Object.freeze({ ok: false });
const INT_TEXT = /^-?[0-9]+$/;
const TRUE_TEXT: ReadonlySet<string> = new Set(['true', '1', 'yes']);
const FALSE_TEXT: ReadonlySet<string> = new Set(['false', '0', 'no']);

/** The field's schema without its default (and, for `nullable`, still accepting null). */
function fieldSchema(key: ConfigKey): z.ZodTypeAny {
  let schema: z.ZodTypeAny = configSchema.shape[key];
  if (schema instanceof z.ZodDefault) schema = schema._def.innerType as z.ZodTypeAny;
  return schema;
}

function baseSchema(key: ConfigKey): z.ZodTypeAny {
  const schema = fieldSchema(key);
  return schema instanceof z.ZodNullable ? (schema._def.innerType as z.ZodTypeAny) : schema;
}

function kindOf(key: ConfigKey): OptionKind {
  const meta = OPTIONS_BY_KEY.get(key);
  if (!meta) throw new Error(`no option metadata for ${key}`);
  return meta.kind;
}

/** The default a key takes when no source sets it, or undefined when it is required. */
export function defaultOf(key: ConfigKey): unknown {
  const schema: z.ZodTypeAny = configSchema.shape[key];
  return schema instanceof z.ZodDefault ? (schema._def.defaultValue as () => unknown)() : undefined;
}

/** "an integer from 1 to 65535", "one of json, pretty", …: derived from the schema's bounds. */
export function expectedText(key: ConfigKey, origin: ValueOrigin): string {
  const base = baseSchema(key);
  let text: string;
  if (base instanceof z.ZodNumber) {
    const min = base.minValue;
    const max = base.maxValue;
    const noun = base.isInt ? 'an integer' : 'a number';
    if (min !== null && max !== null) text = `${noun} from ${min} to ${max}`;
    else if (min !== null) text = `${noun} of at least ${min}`;
    else if (max !== null) text = `${noun} of at most ${max}`;
    else text = noun;
  } else if (base instanceof z.ZodEnum) {
    text = `one of ${(base.options as string[]).join(', ')}`;
  } else if (base instanceof z.ZodBoolean) {
    text = origin === 'text' ? 'true, false, 1, 0, yes or no' : 'true or false';
  } else if (base instanceof z.ZodString) {
    text = 'a non-empty string';
  } else {
    text = 'a valid value';
  }
  if (kindOf(key) === 'int-or-none') text += origin === 'text' ? ', or none for no limit' : ', or null for no limit';
  return text;
}

function check(key: ConfigKey, value: unknown): ParsedValue {
  return fieldSchema(key).safeParse(value).success ? { ok: true, value } : INVALID;
}

function parseInt(text: string): number | undefined {
  if (!INT_TEXT.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) return undefined;
  return n === 0 ? 0 : n; // "-0" is 0
}

/**
 * Parse a value written as text (CLI flag or environment variable) strictly: `12abc`, `1e3`,
 * ` 12`, `` are invalid rather than silently coerced, then check it against the schema's bounds.
 */
export function parseOptionText(key: ConfigKey, text: string): ParsedValue {
  switch (kindOf(key)) {
    case 'string':
      return check(key, text);
    case 'int': {
      const n = parseInt(text);
      return n === undefined ? INVALID : check(key, n);
    }
    case 'int-or-none': {
      if (text.toLowerCase() === 'none') return check(key, null);
      const n = parseInt(text);
      return n === undefined ? INVALID : check(key, n);
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE_TEXT.has(lower)) return check(key, true);
      if (FALSE_TEXT.has(lower)) return check(key, false);
      return INVALID;
    }
    case 'enum':
      // LOG_LEVEL=INFO is common enough to accept; the stored value is the schema's spelling.
      return check(key, text.toLowerCase());
  }
}

/** Check a value from a JSON config file: JSON types must match (`"3333"` is not a port). */
export function acceptFileValue(key: ConfigKey, value: unknown): ParsedValue {
  if (kindOf(key) === 'int-or-none' && value === 'none') return check(key, null);
  return check(key, value);
}

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
