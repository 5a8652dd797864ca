import { z } from 'zod';
import { configSchema, type ConfigKey } from './schema';
import { OPTIONS_BY_KEY, type OptionMeta } from './options';
import { acceptPoolsFile, parsePoolsText, POOLS_FILE_EXPECTED, POOLS_TEXT_EXPECTED } from './pool-list';
import { acceptCidrFile, CIDRS_FILE_EXPECTED, CIDRS_TEXT_EXPECTED, parseCidrText } from './cidr-list';
import { unreadableReason } from './readable-file';
import { checkTokenFile } from './token-file';
import { HIDDEN, showValue } from './show-value';
import { parseShareAuditText, SHARE_AUDIT_FILE_EXPECTED, SHARE_AUDIT_TEXT_EXPECTED } from './share-audit';
import { DURATION_FORMS, formatDuration, isDurationKey, parseDurationText } from './duration';

/** Where a value was written: text (a CLI flag or an environment variable) or a config file (JSON, YAML, TOML). */
export type ValueOrigin = 'text' | 'file';

/** A value accepted, or every problem with it as a complete message. */
export type ParsedValue = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problems: readonly string[] };

const INT_TEXT = /^-?[0-9]+$/;
const DECIMAL_TEXT = /^-?[0-9]+(\.[0-9]+)?$/;
const TRUE_TEXT: ReadonlySet<string> = new Set(['true', '1', 'yes']);
const FALSE_TEXT: ReadonlySet<string> = new Set(['false', '0', 'no']);

/** The field's schema without its default (and, for `nullable`, still accepting null). */
function fieldSchema(key: ConfigKey): z.ZodTypeAny {
  let schema: z.ZodTypeAny = configSchema.shape[key];
  if (schema instanceof z.ZodDefault) schema = schema._def.innerType as z.ZodTypeAny;
  return schema;
}

/** The value's own schema: without default, null, optional or readonly wrappers. */
function baseSchema(key: ConfigKey): z.ZodTypeAny {
  let schema = fieldSchema(key);
  while (schema instanceof z.ZodNullable || schema instanceof z.ZodOptional || schema instanceof z.ZodReadonly) {
    schema = schema._def.innerType as z.ZodTypeAny;
  }
  return schema;
}

function acceptsNull(key: ConfigKey): boolean {
  return fieldSchema(key).safeParse(null).success;
}

function metaOf(key: ConfigKey): OptionMeta {
  const meta = OPTIONS_BY_KEY.get(key);
  if (!meta) throw new Error(`no option metadata for ${key}`);
  return meta;
}

/** The default a key takes when no source sets it, or undefined when it is required. */
export function defaultOf(key: ConfigKey): unknown {
  const schema: z.ZodTypeAny = configSchema.shape[key];
  return schema instanceof z.ZodDefault ? (schema._def.defaultValue as () => unknown)() : undefined;
}

function numberText(schema: z.ZodNumber, duration = false): string {
  const noun = duration ? 'a duration' : schema.isInt ? 'an integer' : 'a number';
  const show = duration ? formatDuration : String;
  // `port.min(1)` adds a second min check: the tightest bound is the one that applies.
  let min: { value: number; inclusive: boolean } | undefined;
  let max: { value: number; inclusive: boolean } | undefined;
  for (const c of schema._def.checks) {
    if (c.kind === 'min' && (min === undefined || c.value > min.value || (c.value === min.value && !c.inclusive))) min = c;
    if (c.kind === 'max' && (max === undefined || c.value < max.value || (c.value === max.value && !c.inclusive))) max = c;
  }
  let text = noun;
  if (min && !min.inclusive && max === undefined) text = `${noun} greater than ${show(min.value)}${schema.isInt ? '' : ' (decimals allowed)'}`;
  else if (min && max) text = `${noun} from ${show(min.value)} to ${show(max.value)}`;
  else if (min) text = `${noun} of at least ${show(min.value)}`;
  else if (max) text = `${noun} of at most ${show(max.value)}`;
  return duration ? `${text} (${DURATION_FORMS})` : text;
}

/** "an integer from 1 to 65535", "one of json, pretty", …: derived from the schema's bounds. */
export function expectedText(key: ConfigKey, origin: ValueOrigin): string {
  const meta = metaOf(key);
  const base = baseSchema(key);
  let text: string;
  switch (meta.kind) {
    case 'pools':
      return origin === 'text' ? POOLS_TEXT_EXPECTED : POOLS_FILE_EXPECTED;
    case 'cidrs':
      text = origin === 'text' ? CIDRS_TEXT_EXPECTED : CIDRS_FILE_EXPECTED;
      break;
    case 'path':
    case 'secret-file':
      return 'the path of a readable file';
    case 'share-audit':
      return origin === 'text' ? SHARE_AUDIT_TEXT_EXPECTED : SHARE_AUDIT_FILE_EXPECTED;
    case 'secret':
      return 'a non-empty string of visible ASCII characters (no spaces)';
    case 'count-or-auto': {
      const count = base instanceof z.ZodUnion ? (base.options as z.ZodTypeAny[]).find((o) => o instanceof z.ZodNumber) : undefined;
      return `${count instanceof z.ZodNumber ? numberText(count) : 'an integer'}, or auto${meta.auto === undefined ? '' : ` ${meta.auto}`}`;
    }
    default:
      if (base instanceof z.ZodNumber) text = numberText(base, isDurationKey(key));
      else if (base instanceof z.ZodEnum) text = `one of ${(base.options as string[]).join(', ')}`;
      else if (base instanceof z.ZodBoolean) text = origin === 'text' ? 'true, false, 1, 0, yes or no' : 'true or false';
      else if (base instanceof z.ZodString) text = 'a non-empty string';
      else text = 'a valid value';
  }
  if (meta.none !== undefined) text += `, or ${origin === 'text' ? 'none' : 'null'} ${meta.none}`;
  return text;
}

/** The problem "X: value is not valid: expected Y"; a secret's value is never shown. */
function invalid(key: ConfigKey, field: string, value: unknown, origin: ValueOrigin): ParsedValue {
  const shown = metaOf(key).kind === 'secret' ? HIDDEN : showValue(value);
  return { ok: false, problems: [`${field}: ${shown} is not valid: expected ${expectedText(key, origin)}`] };
}

function check(key: ConfigKey, field: string, value: unknown, origin: ValueOrigin, given: unknown = value): ParsedValue {
  return fieldSchema(key).safeParse(value).success ? { ok: true, value } : invalid(key, field, given, origin);
}

/** Paths are checked where they are given, so a missing certificate is reported at start, not at first use. */
function checkPath(key: ConfigKey, field: string, path: string, origin: ValueOrigin): ParsedValue {
  const parsed = check(key, field, path, origin);
  if (!parsed.ok) return parsed;
  const reason = metaOf(key).kind === 'secret-file' ? checkTokenFile(path) : unreadableReason(path);
  return reason === undefined ? parsed : { ok: false, problems: [`${field}: ${showValue(path)} ${reason}`] };
}

function parseInt(text: string): number | undefined {
  if (!INT_TEXT.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) return undefined;
  return n === 0 ? 0 : n; // "-0" is 0
}

function parseDecimal(text: string): number | undefined {
  if (!DECIMAL_TEXT.test(text)) return undefined;
  const n = Number(text);
  return n === 0 ? 0 : n;
}

/**
 * Parse a value written as text (CLI flag or environment variable) strictly: `12abc`, `1e3`,
 * ` 12`, `` are invalid rather than silently coerced, then check it against the schema's bounds.
 * `field` is how problems name it: the flag as written, or the environment variable.
 */
export function parseOptionText(key: ConfigKey, text: string, field: string): ParsedValue {
  // `none` is null wherever null is allowed (the options whose default is none), and text elsewhere.
  if (text.toLowerCase() === 'none' && acceptsNull(key)) return { ok: true, value: null };
  switch (metaOf(key).kind) {
    case 'string':
    case 'secret':
      return check(key, field, text, 'text');
    case 'path':
    case 'secret-file':
      return checkPath(key, field, text, 'text');
    case 'count-or-auto': {
      if (text.toLowerCase() === 'auto') return check(key, field, 'auto', 'text', text);
      const n = parseInt(text);
      return n === undefined ? invalid(key, field, text, 'text') : check(key, field, n, 'text', text);
    }
    case 'int':
    case 'int-or-none': {
      const n = parseInt(text) ?? (isDurationKey(key) ? parseDurationText(text) : undefined);
      return n === undefined ? invalid(key, field, text, 'text') : check(key, field, n, 'text', text);
    }
    case 'number':
    case 'number-or-none': {
      const n = parseDecimal(text);
      return n === undefined ? invalid(key, field, text, 'text') : check(key, field, n, 'text', text);
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE_TEXT.has(lower)) return check(key, field, true, 'text', text);
      if (FALSE_TEXT.has(lower)) return check(key, field, false, 'text', text);
      return invalid(key, field, text, 'text');
    }
    case 'enum':
      // LOG_LEVEL=INFO is common enough to accept; the stored value is the schema's spelling.
      return check(key, field, text.toLowerCase(), 'text', text);
    case 'share-audit': {
      const setting = parseShareAuditText(text);
      return setting === undefined ? invalid(key, field, text, 'text') : check(key, field, setting, 'text', text);
    }
    case 'pools':
      return parsePoolsText(text, field);
    case 'cidrs':
      return parseCidrText(text, field, expectedText(key, 'text'));
  }
}

/**
 * Check a value from a config file: its types must match (`"3333"` is not a port); a duration
 * option also takes its text form (`"30s"`), since a file is where a readable value helps most.
 * `field` names it in problems (`config file x.json: poolPort`); `name` is the key alone.
 */
export function acceptFileValue(key: ConfigKey, value: unknown, field: string, name: string): ParsedValue {
  if ((value === null || value === 'none') && acceptsNull(key)) return { ok: true, value: null };
  switch (metaOf(key).kind) {
    case 'pools':
      return acceptPoolsFile(value, field, name);
    case 'cidrs':
      return acceptCidrFile(value, field, expectedText(key, 'file'));
    case 'path':
    case 'secret-file':
      return typeof value === 'string' ? checkPath(key, field, value, 'file') : check(key, field, value, 'file');
    case 'share-audit': {
      // JSON types stay strict: booleans, the mode words, or the object /status shows; not "yes".
      if (typeof value !== 'string') return check(key, field, value, 'file');
      const setting = /^(all|off|rejected|sample)\b/i.test(value) ? parseShareAuditText(value) : undefined;
      return setting === undefined ? invalid(key, field, value, 'file') : check(key, field, setting, 'file', value);
    }
    default: {
      const ms = typeof value === 'string' && isDurationKey(key) ? parseDurationText(value) : undefined;
      return ms === undefined ? check(key, field, value, 'file') : check(key, field, ms, 'file', value);
    }
  }
}
