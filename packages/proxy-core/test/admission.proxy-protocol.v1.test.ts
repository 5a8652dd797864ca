import { PROXY_V1_MAX_BYTES, parseProxyHeader, type ProxyHeaderResult } from '../src/admission/proxy-protocol';
import { growingPrefixes } from './helpers/proxy-header';

const STRATUM = '{"id":1,"method":"mining.subscribe","params":["cgminer/4.11.1"]}\n';

function parse(text: string): ProxyHeaderResult {
  return parseProxyHeader(Buffer.from(text, 'latin1'));
}

describe('parseProxyHeader, PROXY protocol v1', () => {
  it('reads a TCP4 line and consumes exactly its bytes', () => {
    const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 3333\r\n';
    expect(parse(line + STRATUM)).toEqual({
      kind: 'proxied',
      version: 1,
      sourceAddress: '192.168.0.1',
      sourcePort: 56324,
      destAddress: '192.168.0.11',
      destPort: 3333,
      headerBytes: line.length,
    });
  });

  it('reads a TCP6 line and gives the addresses in the canonical form Node uses for remoteAddress', () => {
    const line = 'PROXY TCP6 2001:DB8:0:0:0:0:0:10 2001:db8::0:1 65535 0\r\n';
    expect(parse(line)).toEqual({
      kind: 'proxied',
      version: 1,
      sourceAddress: '2001:db8::10',
      sourcePort: 65535,
      destAddress: '2001:db8::1',
      destPort: 0,
      headerBytes: line.length,
    });
  });

  it('gives an IPv4-mapped TCP6 source in dotted form, as a dual-stack socket would', () => {
    const result = parse('PROXY TCP6 ::ffff:10.0.0.5 ::1 1 2\r\n');
    expect(result).toMatchObject({ kind: 'proxied', sourceAddress: '::ffff:10.0.0.5', destAddress: '::1' });
  });

  it('accepts the longest TCP4 and TCP6 lines of the spec', () => {
    const v4 = 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n';
    expect(v4.length).toBe(56);
    expect(parse(v4)).toMatchObject({ kind: 'proxied', headerBytes: 56 });
    const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const v6 = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`;
    expect(v6.length).toBe(104);
    expect(parse(v6)).toMatchObject({ kind: 'proxied', sourceAddress: full, headerBytes: 104 });
  });

  it('treats PROXY UNKNOWN as the balancer’s own connection, with or without the optional fields', () => {
    expect(parse('PROXY UNKNOWN\r\n' + STRATUM)).toEqual({ kind: 'local', version: 1, headerBytes: 15 });
    const long = 'PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n';
    expect(long.length).toBe(PROXY_V1_MAX_BYTES);
    expect(parse(long + STRATUM)).toEqual({ kind: 'local', version: 1, headerBytes: PROXY_V1_MAX_BYTES });
  });

  it('ignores whatever follows UNKNOWN before the CRLF, as the spec requires', () => {
    expect(parse('PROXY UNKNOWN whatever, even ~ odd: bytes\r\n')).toMatchObject({ kind: 'local', headerBytes: 43 });
  });

  it('leaves the bytes after the CRLF for the relay', () => {
    const line = 'PROXY TCP4 10.0.0.1 10.0.0.2 1000 2000\r\n';
    const input = Buffer.from(line + STRATUM, 'latin1');
    const result = parseProxyHeader(input);
    if (result.kind !== 'proxied') throw new Error(`expected proxied, got ${result.kind}`);
    expect(input.subarray(result.headerBytes).toString('latin1')).toBe(STRATUM);
  });

  describe.each([
    ['TCP4', 'PROXY TCP4 192.0.2.1 198.51.100.2 40000 3333\r\n'],
    ['TCP6', 'PROXY TCP6 2001:db8::1 2001:db8::2 40000 3333\r\n'],
    ['UNKNOWN', 'PROXY UNKNOWN\r\n'],
    ['UNKNOWN with fields', 'PROXY UNKNOWN 192.0.2.1 198.51.100.2 40000 3333\r\n'],
  ])('a %s line arriving byte by byte', (_name, line) => {
    it('is incomplete until its last byte, then gives the same result as in one piece', () => {
      const input = Buffer.from(line + STRATUM, 'latin1');
      const whole = parseProxyHeader(input);
      expect(whole.kind).not.toBe('invalid');
      for (const prefix of growingPrefixes(input)) {
        const expected = prefix.length < line.length ? { kind: 'incomplete' } : whole;
        expect([prefix.length, parseProxyHeader(prefix)]).toEqual([prefix.length, expected]);
      }
    });
  });

  it('refuses a line without CRLF within 107 bytes as too long, and not before', () => {
    const long = 'PROXY UNKNOWN ' + 'x'.repeat(200);
    expect(parse(long.slice(0, PROXY_V1_MAX_BYTES - 1))).toEqual({ kind: 'incomplete' });
    expect(parse(long.slice(0, PROXY_V1_MAX_BYTES))).toEqual({ kind: 'invalid', reason: 'too_long' });
    expect(parse(long)).toEqual({ kind: 'invalid', reason: 'too_long' });
  });

  it('refuses a 108-byte line whose CRLF comes one byte too late', () => {
    const line = 'PROXY UNKNOWN ' + 'x'.repeat(PROXY_V1_MAX_BYTES - 15) + '\r\n';
    expect(line.length).toBe(PROXY_V1_MAX_BYTES + 1);
    expect(parse(line)).toEqual({ kind: 'invalid', reason: 'too_long' });
  });

  it('refuses a TCP6 line that is valid text but over 107 bytes', () => {
    const a = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
    expect(parse(`PROXY TCP6 ${a} ${a} 65535 65535\r\n`)).toEqual({ kind: 'invalid', reason: 'too_long' });
  });

  it.each([
    ['a lone LF', 'PROXY TCP4 10.0.0.1 10.0.0.2 1 2\n'],
    ['a lone LF after UNKNOWN and a space', 'PROXY UNKNOWN \n'],
    ['a CR not followed by LF', 'PROXY TCP4 10.0.0.1 10.0.0.2 1 2\rX'],
    ['a CR not followed by LF after UNKNOWN', 'PROXY UNKNOWN 1\r2\r\n'],
  ])('refuses a line ended by %s', (_name, text) => {
    expect(parse(text)).toEqual({ kind: 'invalid', reason: 'bad_line' });
  });

  it('waits while only the CR of the CRLF has arrived', () => {
    expect(parse('PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r')).toEqual({ kind: 'incomplete' });
  });

  it('refuses a line that never ends while it is shorter than 107 bytes only once a bad byte shows', () => {
    expect(parse('PROXY TCP4 10.0.0.1 10.0.0.2 1 2')).toEqual({ kind: 'incomplete' });
    expect(parse('PROXY TCP4 10.0.0.1 10.0.0.2 1 2{"id"')).toEqual({ kind: 'invalid', reason: 'bad_line' });
  });

  it.each([
    ['lowercase proxy', 'proxy TCP4 10.0.0.1 10.0.0.2 1 2\r\n', 'bad_signature'],
    ['no space after PROXY', 'PROXYTCP4 10.0.0.1 10.0.0.2 1 2\r\n', 'bad_signature'],
    ['an HTTP request', 'GET / HTTP/1.1\r\n', 'bad_signature'],
    ['PROXY followed by a lowercase protocol', 'PROXY tcp4 10.0.0.1 10.0.0.2 1 2\r\n', 'bad_protocol'],
    ['an unknown protocol', 'PROXY TCP5 10.0.0.1 10.0.0.2 1 2\r\n', 'bad_protocol'],
    ['UDP4', 'PROXY UDP4 10.0.0.1 10.0.0.2 1 2\r\n', 'bad_protocol'],
    ['UNKNOWN glued to more letters', 'PROXY UNKNOWNX\r\n', 'bad_protocol'],
    ['UNKNOWN ended by a lone LF (the word must end in a space or the CRLF)', 'PROXY UNKNOWN\n', 'bad_protocol'],
    ['two spaces after PROXY', 'PROXY  TCP4 10.0.0.1 10.0.0.2 1 2\r\n', 'bad_protocol'],
    ['two spaces between fields', 'PROXY TCP4 10.0.0.1  10.0.0.2 1 2\r\n', 'bad_line'],
    ['a trailing space', 'PROXY TCP4 10.0.0.1 10.0.0.2 1 2 \r\n', 'bad_line'],
    ['a missing port', 'PROXY TCP4 10.0.0.1 10.0.0.2 1\r\n', 'bad_line'],
    ['an extra field', 'PROXY TCP4 10.0.0.1 10.0.0.2 1 2 3\r\n', 'bad_line'],
    ['a tab instead of a space', 'PROXY TCP4 10.0.0.1\t10.0.0.2 1 2\r\n', 'bad_line'],
    ['a zone id', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', 'bad_line'],
    ['a host name', 'PROXY TCP4 localhost 10.0.0.2 1 2\r\n', 'bad_line'],
    ['an IPv6 source on TCP4', 'PROXY TCP4 ::1 10.0.0.2 1 2\r\n', 'bad_line'],
    ['an IPv4 source on TCP6', 'PROXY TCP6 10.0.0.1 ::1 1 2\r\n', 'bad_address'],
    ['an octet over 255', 'PROXY TCP4 10.0.0.256 10.0.0.2 1 2\r\n', 'bad_address'],
    ['a leading zero in an octet', 'PROXY TCP4 10.0.0.01 10.0.0.2 1 2\r\n', 'bad_address'],
    ['three octets', 'PROXY TCP4 10.0.1 10.0.0.2 1 2\r\n', 'bad_address'],
    ['a bad destination', 'PROXY TCP4 10.0.0.1 10.0..2 1 2\r\n', 'bad_address'],
    ['two double colons', 'PROXY TCP6 1::2::3 ::1 1 2\r\n', 'bad_address'],
    ['nine IPv6 groups', 'PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n', 'bad_address'],
    ['a port over 65535', 'PROXY TCP4 10.0.0.1 10.0.0.2 65536 2\r\n', 'bad_port'],
    ['a leading zero in a port', 'PROXY TCP4 10.0.0.1 10.0.0.2 01 2\r\n', 'bad_port'],
    ['a six-digit port', 'PROXY TCP4 10.0.0.1 10.0.0.2 1 100000\r\n', 'bad_port'],
    ['a hexadecimal port', 'PROXY TCP6 ::1 ::2 ff 2\r\n', 'bad_port'],
    ['a dotted port', 'PROXY TCP4 10.0.0.1 10.0.0.2 1.5 2\r\n', 'bad_port'],
  ])('refuses %s', (_name, text, reason) => {
    expect(parse(text)).toEqual({ kind: 'invalid', reason });
  });

  it('refuses lowercase proxy at the first byte, before the rest arrives', () => {
    expect(parse('p')).toEqual({ kind: 'invalid', reason: 'bad_signature' });
  });

  it('refuses a bad protocol as soon as its first wrong byte arrives', () => {
    expect(parse('PROXY T')).toEqual({ kind: 'incomplete' });
    expect(parse('PROXY TX')).toEqual({ kind: 'invalid', reason: 'bad_protocol' });
    expect(parse('PROXY UNKNOWN')).toEqual({ kind: 'incomplete' });
    expect(parse('PROXY UNKNOWN-')).toEqual({ kind: 'invalid', reason: 'bad_protocol' });
  });
});
