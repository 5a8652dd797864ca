/** `acceptRatio` → `accept_ratio`, `p50` stays. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * A copy of a JSON-able value whose object keys are snake_case at every depth: the one key style
 * of every line the relay's programs write (logs, the proxy's JSON, miner-sim's --json summary),
 * while the library's own TypeScript API keeps camelCase fields.
 */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[snakeCase(key)] = snakeCaseKeys(item);
  return out;
}
