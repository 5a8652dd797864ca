import type { PoolSpec } from '@stratum-relay/shared-types';
import { defaultPoolName, parsePoolUrl, POOL_URL_FORM, redactPoolUrl, type ParsedPoolUrl } from './pool-url';
import { showShape, showValue } from './show-value';
import { closest } from './suggest';
import type { ParsedValue } from './option-value';

export const POOLS_TEXT_EXPECTED = `a comma-separated list of pool URLs, primary first: ${POOL_URL_FORM} (stratum+ssl:// or stratum+tls:// for TLS)`;
export const POOLS_FILE_EXPECTED = `a non-empty array of pool URLs, primary first: strings ${POOL_URL_FORM} (stratum+ssl:// or stratum+tls:// for TLS) or objects {"url": "...", "name": "..."}`;
const ENTRY_EXPECTED = `a pool URL string ${POOL_URL_FORM} or an object {"url": "...", "name": "..."}`;
const ENTRY_KEYS: readonly string[] = ['url', 'name'];
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function withoutPassword(this: PoolSpec): PoolSpec {
  return { ...this, password: this.password === null ? null : '***' };
}

/**
 * A frozen PoolSpec whose password stays out of JSON.stringify (and so out of pino logs) and
 * util.inspect / console.log: it is only ever sent to the pool.
 */
export function makePoolSpec(fields: PoolSpec): PoolSpec {
  const { name, scheme, host, port, account, password } = fields;
  const spec = { name, scheme, host, port, account, password };
  // Not enumerable: spreading, toEqual and Object.keys see exactly the PoolSpec fields.
  Object.defineProperty(spec, 'toJSON', { value: withoutPassword });
  Object.defineProperty(spec, INSPECT, { value: withoutPassword });
  return Object.freeze(spec);
}

interface Entry {
  /** How problems name this entry: `POOLS entry 2`, `config file x.json: pools[1]`. */
  readonly label: string;
  readonly spec: PoolSpec;
}

function entryFromUrl(given: string, label: string, name: string | undefined, problems: string[]): Entry | undefined {
  const text = given.trim();
  const parsed: ParsedPoolUrl = text === '' ? { ok: false, expected: 'a pool URL, not an empty entry' } : parsePoolUrl(text);
  if (!parsed.ok) {
    problems.push(`${label}: ${showValue(redactPoolUrl(text))} is not valid: expected ${parsed.expected}`);
    return undefined;
  }
  const { url } = parsed;
  return { label, spec: { ...url, name: name ?? defaultPoolName(url.host, url.port) } };
}

/** Names are metric labels and how logs and /status tell pools apart, so two pools cannot share one. */
function checkUniqueNames(entries: readonly Entry[], pair: (a: Entry, b: Entry) => string, advice: string, problems: string[]): void {
  const first = new Map<string, Entry>();
  for (const entry of entries) {
    const earlier = first.get(entry.spec.name);
    if (earlier) problems.push(`${pair(earlier, entry)} are both named ${showValue(entry.spec.name)}: ${advice}`);
    else first.set(entry.spec.name, entry);
  }
}

function result(entries: readonly Entry[], problems: readonly string[]): ParsedValue {
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: Object.freeze(entries.map((e) => makePoolSpec(e.spec))) };
}

/** POOLS / --pools: comma-separated pool URLs (a comma inside a password is written %2C). */
export function parsePoolsText(text: string, field: string): ParsedValue {
  if (text.trim() === '') return { ok: false, problems: [`${field}: ${showValue(text)} is not valid: expected ${POOLS_TEXT_EXPECTED}`] };
  const problems: string[] = [];
  const entries: Entry[] = [];
  text.split(',').forEach((part, i) => {
    const entry = entryFromUrl(part, `${field} entry ${i + 1}`, undefined, problems);
    if (entry) entries.push(entry);
  });
  checkUniqueNames(
    entries,
    (a, b) => `${a.label} and ${b.label.slice(field.length + 1)}`,
    'each pool needs its own name, and here the name is host:port; to list one host:port twice (e.g. with two accounts), name the entries in the config file: {"url": "...", "name": "..."}',
    problems,
  );
  return result(entries, problems);
}

/**
 * `pools` in the config file: an array of URL strings or `{ "url": "...", "name": "..." }`.
 * `field` names the key in problems (`config file x.json: pools`), `key` is the key alone.
 */
export function acceptPoolsFile(value: unknown, field: string, key: string): ParsedValue {
  if (!Array.isArray(value) || value.length === 0) {
    const shown = typeof value === 'string' ? showValue(redactPoolUrl(value)) : showShape(value);
    return { ok: false, problems: [`${field}: ${shown} is not valid: expected ${POOLS_FILE_EXPECTED}`] };
  }
  const problems: string[] = [];
  const entries: Entry[] = [];
  value.forEach((item: unknown, i) => {
    const label = `${field}[${i}]`;
    let entry: Entry | undefined;
    if (typeof item === 'string') entry = entryFromUrl(item, label, undefined, problems);
    else if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const record = item as Record<string, unknown>;
      const before = problems.length;
      for (const name of Object.keys(record)) {
        if (ENTRY_KEYS.includes(name)) continue;
        const hint = closest(name, ENTRY_KEYS);
        problems.push(`${label}: unknown key ${showValue(name)}${hint ? ` (did you mean "${hint}"?)` : ''}: expected only "url" and "name"`);
      }
      const { url, name } = record;
      if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
        problems.push(`${label}.name: ${showShape(name)} is not valid: expected a non-empty string`);
      }
      if (url === undefined) problems.push(`${label}: "url" is missing: expected a pool URL ${POOL_URL_FORM}`);
      else if (typeof url !== 'string') problems.push(`${label}.url: ${showShape(url)} is not valid: expected a pool URL string ${POOL_URL_FORM}`);
      else {
        const parsed = entryFromUrl(url, `${label}.url`, typeof name === 'string' ? name : undefined, problems);
        if (parsed && problems.length === before) entry = { label, spec: parsed.spec };
      }
    } else problems.push(`${label}: ${showShape(item)} is not valid: expected ${ENTRY_EXPECTED}`);
    if (entry) entries.push(entry);
  });
  checkUniqueNames(entries, (a, b) => `${a.label} and ${key}${b.label.slice(field.length)}`, 'give each pool a unique "name"', problems);
  return result(entries, problems);
}
