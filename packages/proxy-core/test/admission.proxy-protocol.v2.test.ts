import { PROXY_V2_MAX_BYTES, parseProxyHeader } from '../src/admission/proxy-protocol';
import { V2_SIGNATURE, encodeProxyV2, growingPrefixes } from './helpers/proxy-header';

const STRATUM = Buffer.from('{"id":1,"method":"mining.subscribe","params":[]}\n', 'latin1');
const LOCAL = 0;
const PROXY = 1;
const AF_UNSPEC = 0;
const AF_INET = 1;
const AF_INET6 = 2;
const AF_UNIX = 3;
const UNSPEC = 0;
const STREAM = 1;
const DGRAM = 2;
const TLVS = [
  { type: 0x01, value: Buffer.from('stratum') }, // PP2_TYPE_ALPN
  { type: 0x04, value: Buffer.alloc(0) }, // PP2_TYPE_NOOP, empty
  { type: 0x05, value: Buffer.alloc(128, 0xab) }, // PP2_TYPE_UNIQUE_ID
];

describe('parseProxyHeader, PROXY protocol v2', () => {
  it('reads PROXY over TCP/IPv4', () => {
    const header = encodeProxyV2({ sourceAddress: '203.0.113.7', destAddress: '198.51.100.1', sourcePort: 51234, destPort: 3333 });
    expect(header.length).toBe(16 + 12);
    expect(parseProxyHeader(header)).toEqual({
      kind: 'proxied',
      version: 2,
      sourceAddress: '203.0.113.7',
      sourcePort: 51234,
      destAddress: '198.51.100.1',
      destPort: 3333,
      headerBytes: 28,
    });
  });

  it('reads PROXY over TCP/IPv6 with canonical addresses', () => {
    const header = encodeProxyV2({ family: AF_INET6, sourceAddress: '2001:db8:0:0:1:0:0:1', destAddress: '::1', sourcePort: 0, destPort: 65535 });
    expect(header.length).toBe(16 + 36);
    expect(parseProxyHeader(header)).toEqual({
      kind: 'proxied',
      version: 2,
      sourceAddress: '2001:db8::1:0:0:1',
      sourcePort: 0,
      destAddress: '::1',
      destPort: 65535,
      headerBytes: 52,
    });
  });

  it('gives an IPv4-mapped IPv6 source in dotted form, as a dual-stack socket would', () => {
    const header = encodeProxyV2({ family: AF_INET6, sourceAddress: '::ffff:a00:5' });
    expect(parseProxyHeader(header)).toMatchObject({ kind: 'proxied', sourceAddress: '::ffff:10.0.0.5' });
  });

  it.each([
    ['IPv4', AF_INET, 12],
    ['IPv6', AF_INET6, 36],
  ])('skips TLVs after the %s addresses: the length covers them', (_name, family, addressBytes) => {
    const header = encodeProxyV2({ family, tlvs: TLVS });
    const tlvBytes = 3 + 7 + 3 + 0 + 3 + 128;
    expect(header.length).toBe(16 + addressBytes + tlvBytes);
    expect(parseProxyHeader(Buffer.concat([header, STRATUM]))).toMatchObject({ kind: 'proxied', version: 2, headerBytes: header.length });
  });

  it('skips bytes after the addresses even when they are not well-formed TLVs', () => {
    const header = encodeProxyV2({ addressBlock: Buffer.concat([encodeProxyV2().subarray(16), Buffer.from([0xff])]) });
    expect(parseProxyHeader(header)).toMatchObject({ kind: 'proxied', headerBytes: 16 + 13 });
  });

  it('treats LOCAL as the balancer’s own connection and skips its length', () => {
    expect(parseProxyHeader(encodeProxyV2({ command: LOCAL, family: AF_UNSPEC, transport: UNSPEC }))).toEqual({ kind: 'local', version: 2, headerBytes: 16 });
    // The spec: receivers must honour the length and not assume zero for LOCAL.
    const withAddresses = encodeProxyV2({ command: LOCAL, family: AF_INET, tlvs: TLVS });
    expect(parseProxyHeader(withAddresses)).toEqual({ kind: 'local', version: 2, headerBytes: withAddresses.length });
  });

  it('ignores the family byte of a LOCAL header, as the spec says', () => {
    expect(parseProxyHeader(encodeProxyV2({ command: LOCAL, family: 0xf, transport: 0xf, length: 0 }))).toEqual({ kind: 'local', version: 2, headerBytes: 16 });
  });

  it.each([
    ['AF_UNSPEC', AF_UNSPEC, UNSPEC, Buffer.alloc(0)],
    ['AF_UNSPEC with ignored address bytes', AF_UNSPEC, UNSPEC, Buffer.alloc(12, 7)],
    ['AF_UNIX stream', AF_UNIX, STREAM, Buffer.alloc(216, 0x2f)],
    ['AF_INET over UDP', AF_INET, DGRAM, encodeProxyV2().subarray(16)],
    ['AF_INET6 with an unspecified transport', AF_INET6, UNSPEC, Buffer.alloc(0)],
  ])('falls back to the socket’s own address for PROXY with %s', (_name, family, transport, addressBlock) => {
    const header = encodeProxyV2({ command: PROXY, family, transport, addressBlock });
    expect(parseProxyHeader(Buffer.concat([header, STRATUM]))).toEqual({ kind: 'local', version: 2, headerBytes: header.length });
  });

  it.each([
    ['version 1 in the binary format', { version: 1 }, 'bad_version'],
    ['version 3', { version: 3 }, 'bad_version'],
    ['command 2', { command: 2 }, 'bad_command'],
    ['command 15', { command: 15 }, 'bad_command'],
    ['family 4', { family: 4 }, 'bad_family'],
    ['transport 3', { transport: 3 }, 'bad_family'],
    ['an IPv4 length too short for addresses and ports', { length: 11 }, 'bad_length'],
    ['an IPv6 length too short for addresses and ports', { family: AF_INET6, length: 35 }, 'bad_length'],
  ])('refuses %s', (_name, fields, reason) => {
    expect(parseProxyHeader(encodeProxyV2(fields))).toEqual({ kind: 'invalid', reason });
  });

  it('refuses a wrong version or command as soon as byte 13 arrives', () => {
    expect(parseProxyHeader(encodeProxyV2({ version: 1 }).subarray(0, 13))).toEqual({ kind: 'invalid', reason: 'bad_version' });
    expect(parseProxyHeader(encodeProxyV2({ command: 2 }).subarray(0, 13))).toEqual({ kind: 'invalid', reason: 'bad_command' });
    expect(parseProxyHeader(encodeProxyV2({ family: 9 }).subarray(0, 14))).toEqual({ kind: 'invalid', reason: 'bad_family' });
  });

  it('refuses a short length as soon as the fixed 16 bytes are in, not after waiting for the body', () => {
    expect(parseProxyHeader(encodeProxyV2({ length: 4 }).subarray(0, 16))).toEqual({ kind: 'invalid', reason: 'bad_length' });
  });

  it('refuses a signature that differs in any one byte', () => {
    const good = encodeProxyV2();
    for (let i = 0; i < V2_SIGNATURE.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = (bad[i] as number) ^ 0x20;
      expect([i, parseProxyHeader(bad)]).toEqual([i, { kind: 'invalid', reason: 'bad_signature' }]);
      // ...as soon as that byte arrives.
      expect([i, parseProxyHeader(bad.subarray(0, i + 1))]).toEqual([i, { kind: 'invalid', reason: 'bad_signature' }]);
    }
  });

  it('waits for the whole body a length announces, up to the 64 KiB protocol maximum', () => {
    const header = encodeProxyV2({ tlvs: [{ type: 0x04, value: Buffer.alloc(0xffff - 12 - 3) }] });
    expect(header.length).toBe(PROXY_V2_MAX_BYTES);
    expect(parseProxyHeader(header.subarray(0, header.length - 1))).toEqual({ kind: 'incomplete' });
    expect(parseProxyHeader(Buffer.concat([header, STRATUM]))).toMatchObject({ kind: 'proxied', headerBytes: PROXY_V2_MAX_BYTES });
  });

  describe.each([
    ['PROXY over IPv4', encodeProxyV2()],
    ['PROXY over IPv6 with TLVs', encodeProxyV2({ family: AF_INET6, tlvs: TLVS })],
    ['LOCAL', encodeProxyV2({ command: LOCAL, family: AF_UNSPEC, transport: UNSPEC })],
    ['AF_UNSPEC', encodeProxyV2({ family: AF_UNSPEC, transport: UNSPEC, addressBlock: Buffer.alloc(3) })],
  ])('%s arriving byte by byte', (_name, header) => {
    it('is incomplete until its last byte, then gives the same result as in one piece', () => {
      const input = Buffer.concat([header, STRATUM]);
      const whole = parseProxyHeader(input);
      expect(whole).toMatchObject({ version: 2, headerBytes: header.length });
      for (const prefix of growingPrefixes(input)) {
        const expected = prefix.length < header.length ? { kind: 'incomplete' } : whole;
        expect([prefix.length, parseProxyHeader(prefix)]).toEqual([prefix.length, expected]);
      }
    });

    it('leaves the miner’s first Stratum bytes after the header intact', () => {
      const input = Buffer.concat([header, STRATUM]);
      const result = parseProxyHeader(input);
      if (result.kind !== 'proxied' && result.kind !== 'local') throw new Error(`expected a header, got ${result.kind}`);
      expect(input.subarray(result.headerBytes).equals(STRATUM)).toBe(true);
    });
  });
});

describe('parseProxyHeader before any header', () => {
  it('waits on an empty buffer', () => {
    expect(parseProxyHeader(Buffer.alloc(0))).toEqual({ kind: 'incomplete' });
  });

  it('refuses a miner speaking Stratum straight to the listener at its first byte', () => {
    expect(parseProxyHeader(Buffer.from('{'))).toEqual({ kind: 'invalid', reason: 'bad_signature' });
    expect(parseProxyHeader(STRATUM)).toEqual({ kind: 'invalid', reason: 'bad_signature' });
  });

  it('refuses at the first byte anything that starts neither signature', () => {
    for (let b = 0; b < 256; b++) {
      const expected = b === 0x50 || b === 0x0d ? { kind: 'incomplete' } : { kind: 'invalid', reason: 'bad_signature' };
      expect([b, parseProxyHeader(Buffer.from([b]))]).toEqual([b, expected]);
    }
  });

  it('refuses a TLS ClientHello and an HTTP request at once', () => {
    expect(parseProxyHeader(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toEqual({ kind: 'invalid', reason: 'bad_signature' });
    expect(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'invalid', reason: 'bad_signature' });
  });

  it('refuses a bare CRLF line (the v2 signature cut short) once the third byte is wrong', () => {
    expect(parseProxyHeader(Buffer.from('\r\n'))).toEqual({ kind: 'incomplete' });
    expect(parseProxyHeader(Buffer.from('\r\n{'))).toEqual({ kind: 'invalid', reason: 'bad_signature' });
  });
});
