import { isIP } from 'node:net';
import { showShape, showValue } from './show-value';
import type { ParsedValue } from './option-value';

export const CIDRS_TEXT_EXPECTED = 'a comma-separated list of IPv4/IPv6 addresses or CIDR ranges (e.g. 10.0.0.0/8, 2001:db8::/32)';
export const CIDRS_FILE_EXPECTED =
  'an array of IPv4/IPv6 addresses or CIDR ranges (e.g. ["10.0.0.0/8", "2001:db8::/32"]) or one comma-separated string of them';
const ENTRY_EXPECTED = 'an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)';
const PREFIX_TEXT = /^[0-9]{1,3}$/;

export type ParsedCidr = { readonly ok: true; readonly cidr: string } | { readonly ok: false; readonly expected: string };

/**
 * One `address[/prefix]` as `address/prefix` (no prefix: the single host, /32 or /128). IPv6 is
 * lower-cased; host bits are kept as written (net.BlockList's addSubnet ignores them).
 */
export function parseCidr(text: string): ParsedCidr {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(address);
  // A zone (fe80::1%eth0) names an interface of this host; it cannot match a peer's address.
  if (family === 0 || address.includes('%')) return { ok: false, expected: ENTRY_EXPECTED };
  const max = family === 4 ? 32 : 128;
  if (slash === -1) return { ok: true, cidr: `${address.toLowerCase()}/${max}` };
  const prefixText = text.slice(slash + 1);
  const prefix = PREFIX_TEXT.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return { ok: false, expected: `a prefix length from 0 to ${max} after an IPv${family} address` };
  return { ok: true, cidr: `${address.toLowerCase()}/${prefix}` };
}

function parseEntries(entries: readonly unknown[], label: (i: number) => string): ParsedValue {
  const problems: string[] = [];
  const cidrs: string[] = [];
  entries.forEach((given, i) => {
    const entry = typeof given === 'string' ? given.trim() : given;
    const parsed = typeof entry === 'string' ? parseCidr(entry) : ({ ok: false, expected: ENTRY_EXPECTED } as const);
    if (parsed.ok) cidrs.push(parsed.cidr);
    else problems.push(`${label(i)}: ${showShape(entry)} is not valid: expected ${parsed.expected}`);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: Object.freeze(cidrs) };
}

/** ALLOW_FROM, PROXY_PROTOCOL_FROM and their flags: comma-separated, spaces around commas allowed. */
export function parseCidrText(text: string, field: string, expected = CIDRS_TEXT_EXPECTED): ParsedValue {
  if (text.trim() === '') return { ok: false, problems: [`${field}: ${showValue(text)} is not valid: expected ${expected}`] };
  return parseEntries(text.split(','), (i) => `${field} entry ${i + 1}`);
}

/** The same in the config file: an array of strings, or one comma-separated string. */
export function acceptCidrFile(value: unknown, field: string, expected = CIDRS_FILE_EXPECTED): ParsedValue {
  if (typeof value === 'string') return parseCidrText(value, field, expected);
  if (!Array.isArray(value) || value.length === 0) return { ok: false, problems: [`${field}: ${showShape(value)} is not valid: expected ${expected}`] };
  return parseEntries(value, (i) => `${field}[${i}]`);
}
