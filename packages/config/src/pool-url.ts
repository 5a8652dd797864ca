import { isIP } from 'node:net';
import type { PoolScheme } from '@stratum-relay/shared-types';

/** How a pool URL is written, for "expected …" in problem messages. */
export const POOL_URL_FORM = 'stratum+tcp://[account[:password]@]host:port';

export interface PoolUrl {
  readonly scheme: PoolScheme;
  readonly host: string;
  readonly port: number;
  readonly account: string | null;
  readonly password: string | null;
}

export type ParsedPoolUrl = { readonly ok: true; readonly url: PoolUrl } | { readonly ok: false; readonly expected: string };

// stratum+ssl is what most pools and miners print; stratum+tls is the same thing spelled correctly.
const SCHEMES: ReadonlyMap<string, PoolScheme> = new Map([
  ['stratum+tcp', 'tcp'],
  ['stratum+ssl', 'tls'],
  ['stratum+tls', 'tls'],
]);
const SCHEME_AND_REST = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const PORT_TEXT = /^[0-9]{1,5}$/;

function fail(expected: string): ParsedPoolUrl {
  return { ok: false, expected: `${expected} (${POOL_URL_FORM})` };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Parse `stratum+tcp://[account[:password]@]host:port` (also `stratum+ssl://`, `stratum+tls://`;
 * IPv6 hosts in brackets). Account and password are percent-decoded; the host is kept as written,
 * an IPv6 address without its brackets.
 */
export function parsePoolUrl(text: string): ParsedPoolUrl {
  const match = SCHEME_AND_REST.exec(text);
  const scheme = match ? SCHEMES.get((match[1] as string).toLowerCase()) : undefined;
  if (!match || scheme === undefined) return fail('a URL starting with stratum+tcp://, or stratum+ssl:// or stratum+tls:// for TLS');
  const rest = match[2] as string;

  // The last @ ends the user part: an unescaped @ in a password then still parses.
  const at = rest.lastIndexOf('@');
  const hostPort = rest.slice(at + 1);
  let account: string | null = null;
  let password: string | null = null;
  if (at !== -1) {
    const user = rest.slice(0, at);
    const colon = user.indexOf(':');
    const rawAccount = colon === -1 ? user : user.slice(0, colon);
    if (rawAccount === '') return fail('an account before the ":" and "@"');
    const decodedAccount = decode(rawAccount);
    const decodedPassword = colon === -1 ? null : decode(user.slice(colon + 1));
    if (decodedAccount === undefined || decodedPassword === undefined) return fail('valid %-escapes in the account and password');
    account = decodedAccount;
    password = decodedPassword;
  }

  let host: string;
  let portText: string;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    host = close === -1 ? '' : hostPort.slice(1, close);
    if (isIP(host) !== 6 || host.includes('%')) return fail('an IPv6 address between the brackets');
    const after = hostPort.slice(close + 1);
    if (after === '' || after === ':') return fail('a port after the host');
    if (!after.startsWith(':')) return fail('nothing after host:port');
    portText = after.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon === -1) return /[/?#]/.test(hostPort) ? fail('nothing after host:port') : fail('a port after the host');
    host = hostPort.slice(0, colon);
    portText = hostPort.slice(colon + 1);
    if (host.includes(':')) return { ok: false, expected: 'an IPv6 address in brackets, e.g. stratum+tcp://[2001:db8::1]:3333' };
    if (host === '') return fail('a host name or IP address before the port');
    if (!HOST_NAME.test(host)) return fail('a host name or IP address');
  }
  if (portText === '') return fail('a port after the host');
  if (/[/?#]/.test(portText)) return fail('nothing after host:port');
  const port = PORT_TEXT.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return fail('a port from 1 to 65535');
  return { ok: true, url: { scheme, host, port, account, password } };
}

/**
 * The text with whatever stands where a password would (between the first `:` of the user part
 * and the last `@`) replaced by `***`, so a URL can be shown in a problem message. Applied to
 * malformed URLs too: without a scheme, the user part starts at the beginning.
 */
export function redactPoolUrl(text: string): string {
  const slashes = text.indexOf('://');
  const start = slashes === -1 ? 0 : slashes + 3;
  const at = text.lastIndexOf('@');
  if (at < start) return text;
  const colon = text.indexOf(':', start);
  if (colon === -1 || colon > at) return text;
  return `${text.slice(0, colon + 1)}***${text.slice(at)}`;
}

/** A pool's default name (its metric label): `host:port`, `[::1]:3333` for IPv6. */
export function defaultPoolName(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
