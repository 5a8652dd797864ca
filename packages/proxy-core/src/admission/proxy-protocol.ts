import { SocketAddress, isIPv4, isIPv6 } from 'node:net';

// HAProxy PROXY protocol, versions 1 and 2 (haproxy doc/proxy-protocol.txt). A load balancer in
// front of the relay sends this header before the miner's first byte so we learn the miner's
// real address. Only the header is consumed: whatever follows is the miner's Stratum and is
// relayed untouched by the caller.

/** Why a header was refused: a small fixed set, so it can label a metric or a log line. */
export type ProxyHeaderInvalidReason =
  /** The bytes start neither `PROXY ` (v1) nor the 12-byte v2 signature. */
  | 'bad_signature'
  /** v1: a protocol other than `TCP4`, `TCP6`, `UNKNOWN`. */
  | 'bad_protocol'
  /** v1: a character that cannot appear, a lone CR or LF, or not exactly five fields. */
  | 'bad_line'
  /** v1: no CRLF within 107 bytes (the spec's worst case). */
  | 'too_long'
  /** v1: an address that is not canonical IPv4 / IPv6 of the announced family. */
  | 'bad_address'
  /** v1: a port that is not 0..65535 in decimal without leading zeros. */
  | 'bad_port'
  /** v2: a version nibble other than 2. */
  | 'bad_version'
  /** v2: a command other than LOCAL (0) or PROXY (1). */
  | 'bad_command'
  /** v2: an address family above AF_UNIX (3) or a transport above DGRAM (2). */
  | 'bad_family'
  /** v2: a PROXY over TCP whose length cannot hold its addresses and ports. */
  | 'bad_length';

export type ProxyHeaderResult =
  /** Need more bytes: nothing seen so far rules a valid header out. */
  | { kind: 'incomplete' }
  /** A relayed connection: use `sourceAddress` as the miner's address. */
  | { kind: 'proxied'; version: 1 | 2; sourceAddress: string; sourcePort: number; destAddress: string; destPort: number; headerBytes: number }
  /** The balancer's own connection (v2 LOCAL, v1 `UNKNOWN`, unsupported families): keep the socket's address. */
  | { kind: 'local'; version: 1 | 2; headerBytes: number }
  /** Not a valid header: refuse the connection. */
  | { kind: 'invalid'; reason: ProxyHeaderInvalidReason };

/** Longest v1 line including CRLF (`PROXY UNKNOWN` with two full IPv6 addresses and ports). */
export const PROXY_V1_MAX_BYTES = 107;
/** Longest v2 header: 16 fixed bytes plus a 16-bit length. The parser never asks for more. */
export const PROXY_V2_MAX_BYTES = 16 + 0xffff;
/** The most bytes a caller must buffer before `parseProxyHeader` stops answering `incomplete`. */
export const PROXY_HEADER_MAX_BYTES = PROXY_V2_MAX_BYTES;

const CR = 0x0d;
const LF = 0x0a;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED_BYTES = 16;

type V1Protocol = 'TCP4' | 'TCP6' | 'UNKNOWN';
/** The protocol word and what must follow it: `UNKNOWN` may end the line at once. */
const V1_PROTOCOLS: readonly { token: Buffer; protocol: V1Protocol }[] = [
  { token: Buffer.from('TCP4 ', 'latin1'), protocol: 'TCP4' },
  { token: Buffer.from('TCP6 ', 'latin1'), protocol: 'TCP6' },
  { token: Buffer.from('UNKNOWN ', 'latin1'), protocol: 'UNKNOWN' },
  { token: Buffer.from('UNKNOWN\r', 'latin1'), protocol: 'UNKNOWN' },
];

/** Bytes allowed after the protocol word, so a bad line is refused before its CRLF arrives. */
const TCP4_CHARS = charSet('0123456789. ');
const TCP6_CHARS = charSet('0123456789abcdefABCDEF:. ');

const V2_CMD_LOCAL = 0x0;
const V2_CMD_PROXY = 0x1;
const AF_INET = 0x1;
const AF_INET6 = 0x2;
const AF_UNIX = 0x3;
const TRANSPORT_STREAM = 0x1;
const TRANSPORT_DGRAM = 0x2;

// Answers without per-call data are shared and frozen: the caller may re-parse a growing buffer
// on every chunk until the header is complete.
const INCOMPLETE: ProxyHeaderResult = Object.freeze({ kind: 'incomplete' });
const INVALID = new Map<ProxyHeaderInvalidReason, ProxyHeaderResult>();
function invalid(reason: ProxyHeaderInvalidReason): ProxyHeaderResult {
  let result = INVALID.get(reason);
  if (result === undefined) {
    result = Object.freeze({ kind: 'invalid', reason });
    INVALID.set(reason, result);
  }
  return result;
}

/**
 * Parse the PROXY protocol header (v1 or v2) at the start of `buffered`, the bytes received so far
 * on a new connection. Call again with the grown buffer while it answers `incomplete`; once it
 * answers anything else, more bytes never change the answer. Never throws.
 *
 * Invalid is decided as early as the bytes allow: a first byte that starts neither signature is
 * refused at once, so a miner speaking Stratum straight to a PROXY-protocol listener is dropped
 * immediately rather than at the first-byte deadline. A v1 line is refused at the first character
 * it cannot contain; a v2 header as soon as its fixed 16 bytes are wrong.
 *
 * On `proxied` / `local`, the first `headerBytes` bytes are the header; the rest is the miner's.
 */
export function parseProxyHeader(buffered: Buffer): ProxyHeaderResult {
  if (buffered.length === 0) return INCOMPLETE;
  const first = buffered[0];
  if (first === V1_PREFIX[0]) return parseV1(buffered);
  if (first === V2_SIGNATURE[0]) return parseV2(buffered);
  return invalid('bad_signature');
}

function parseV1(buf: Buffer): ProxyHeaderResult {
  const available = Math.min(buf.length, PROXY_V1_MAX_BYTES);
  if (!matchesPrefix(buf, 0, V1_PREFIX)) return invalid('bad_signature');
  if (available < V1_PREFIX.length) return INCOMPLETE;

  let protocol: V1Protocol | null = null;
  let partial = false;
  let afterProtocol = 0;
  for (const candidate of V1_PROTOCOLS) {
    if (!matchesPrefix(buf, V1_PREFIX.length, candidate.token)) continue;
    if (available < V1_PREFIX.length + candidate.token.length) {
      partial = true;
      continue;
    }
    protocol = candidate.protocol;
    // `UNKNOWN\r`: the CR belongs to the line end, which the scan below checks.
    afterProtocol = V1_PREFIX.length + candidate.token.length - (candidate.token[candidate.token.length - 1] === CR ? 1 : 0);
    break;
  }
  if (protocol === null) return partial ? INCOMPLETE : invalid('bad_protocol');

  // Find the CRLF, refusing on the way what cannot be part of a valid line. The spec forbids
  // ending on a lone CR or LF; after `UNKNOWN` anything else is to be ignored.
  const allowed = protocol === 'TCP4' ? TCP4_CHARS : protocol === 'TCP6' ? TCP6_CHARS : null;
  let lineFeed = -1;
  for (let i = afterProtocol; i < available; i++) {
    const c = buf[i] as number;
    if (c === LF) {
      if (buf[i - 1] !== CR) return invalid('bad_line');
      lineFeed = i;
      break;
    }
    if (c === CR) {
      if (i + 1 < buf.length && buf[i + 1] !== LF) return invalid('bad_line');
      continue;
    }
    if (allowed !== null && allowed[c] !== 1) return invalid('bad_line');
  }
  if (lineFeed === -1) return buf.length >= PROXY_V1_MAX_BYTES ? invalid('too_long') : INCOMPLETE;
  const headerBytes = lineFeed + 1;
  if (protocol === 'UNKNOWN') return { kind: 'local', version: 1, headerBytes };

  // `TCP4 <src> <dst> <srcport> <dstport>`: split on single spaces, so a doubled space gives an
  // empty field and fails below.
  const fields = buf.toString('latin1', V1_PREFIX.length, lineFeed - 1).split(' ');
  if (fields.length !== 5) return invalid('bad_line');
  const [, source, dest, sourcePortText, destPortText] = fields as [string, string, string, string, string];
  const sourceAddress = v1Address(protocol, source);
  const destAddress = v1Address(protocol, dest);
  if (sourceAddress === null || destAddress === null) return invalid('bad_address');
  const sourcePort = v1Port(sourcePortText);
  const destPort = v1Port(destPortText);
  if (sourcePort === null || destPort === null) return invalid('bad_port');
  return { kind: 'proxied', version: 1, sourceAddress, sourcePort, destAddress, destPort, headerBytes };
}

/** The canonical text of a v1 address of the announced family, or null. */
function v1Address(protocol: 'TCP4' | 'TCP6', text: string): string | null {
  // Node's isIPv4 refuses leading zeros (the spec forbids them: octal confusion).
  if (protocol === 'TCP4') return isIPv4(text) ? text : null;
  // The character check already kept out `%zone`; canonical form so `2001:DB8::1` and
  // `2001:db8:0::1` are one per-IP key.
  if (!isIPv6(text)) return null;
  try {
    return canonicalIpv6(text);
  } catch {
    return null; // parseProxyHeader never throws, whatever libuv thinks of an address
  }
}

/** Decimal 0..65535 without leading zeros (spec: no octal confusion), or null. */
function v1Port(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const port = Number(text);
  return port <= 0xffff ? port : null;
}

function parseV2(buf: Buffer): ProxyHeaderResult {
  if (!matchesPrefix(buf, 0, V2_SIGNATURE)) return invalid('bad_signature');
  // Check each fixed byte as soon as it is there: a wrong version or family is known before the
  // (up to 64 KiB) body arrives.
  if (buf.length <= 12) return INCOMPLETE;
  const versionCommand = buf[12] as number;
  if (versionCommand >> 4 !== 2) return invalid('bad_version');
  const command = versionCommand & 0x0f;
  if (command !== V2_CMD_LOCAL && command !== V2_CMD_PROXY) return invalid('bad_command');
  if (buf.length <= 13) return INCOMPLETE;
  const familyTransport = buf[13] as number;
  const family = familyTransport >> 4;
  const transport = familyTransport & 0x0f;
  // The spec has LOCAL ignore the family byte entirely; only PROXY must name a defined one.
  if (command === V2_CMD_PROXY && (family > AF_UNIX || transport > TRANSPORT_DGRAM)) return invalid('bad_family');
  if (buf.length < V2_FIXED_BYTES) return INCOMPLETE;
  const length = buf.readUInt16BE(14);
  const headerBytes = V2_FIXED_BYTES + length;

  // Only PROXY over TCP/IPv4 or TCP/IPv6 carries an address we use. LOCAL is the balancer's own
  // health check (the family is ignored, the length still skipped); UNSPEC, AF_UNIX and DGRAM are
  // valid combinations the spec lets a receiver fall back to UNSPEC for: keep the socket address.
  const addressBytes =
    command === V2_CMD_PROXY && transport === TRANSPORT_STREAM ? (family === AF_INET ? 12 : family === AF_INET6 ? 36 : 0) : 0;
  if (length < addressBytes) return invalid('bad_length');
  if (buf.length < headerBytes) return INCOMPLETE;
  if (addressBytes === 0) return { kind: 'local', version: 2, headerBytes };

  // Any bytes after the addresses are TLVs (ALPN, SSL, unique id...): covered by the length and
  // skipped, as the spec allows.
  const body = V2_FIXED_BYTES;
  if (family === AF_INET) {
    return {
      kind: 'proxied',
      version: 2,
      sourceAddress: ipv4At(buf, body),
      destAddress: ipv4At(buf, body + 4),
      sourcePort: buf.readUInt16BE(body + 8),
      destPort: buf.readUInt16BE(body + 10),
      headerBytes,
    };
  }
  return {
    kind: 'proxied',
    version: 2,
    sourceAddress: ipv6At(buf, body),
    destAddress: ipv6At(buf, body + 16),
    sourcePort: buf.readUInt16BE(body + 32),
    destPort: buf.readUInt16BE(body + 34),
    headerBytes,
  };
}

/** Whether the bytes of `buf` from `offset` (as many as there are) agree with `expected`. */
function matchesPrefix(buf: Buffer, offset: number, expected: Buffer): boolean {
  const end = Math.min(buf.length - offset, expected.length);
  for (let i = 0; i < end; i++) if (buf[offset + i] !== expected[i]) return false;
  return true;
}

function ipv4At(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

function ipv6At(buf: Buffer, offset: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(offset + i).toString(16));
  return canonicalIpv6(groups.join(':'));
}

/**
 * The text libuv gives for an IPv6 address (what Node shows as `remoteAddress`): lower case,
 * longest zero run as `::`, IPv4-mapped as `::ffff:1.2.3.4`, so a proxied miner gets the same
 * per-IP key and allow-list match as a direct one.
 */
function canonicalIpv6(text: string): string {
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}

function charSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}
