import { AdmissionError } from '../src/admission/errors';
import { CidrList, normalizeAddress } from '../src/admission/cidr-list';

describe('normalizeAddress', () => {
  it.each([
    ['::ffff:127.0.0.2', '127.0.0.2'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['127.0.0.2', '127.0.0.2'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::ffff:7f00:2', '::ffff:7f00:2'],
    ['::ffff:', '::ffff:'],
    ['::ffff:1.2.3', '::ffff:1.2.3'],
    ['', ''],
  ])('turns %j into %j', (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected);
  });
});

describe('CidrList', () => {
  const list = new CidrList(['10.0.0.0/8', '127.0.0.2/32', '192.168.1.128/25', '::1/128', '2001:db8::/32']);

  it.each([
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['9.255.255.255', false],
    ['11.0.0.0', false],
    ['127.0.0.2', true],
    ['127.0.0.1', false],
    ['127.0.0.3', false],
    ['192.168.1.127', false],
    ['192.168.1.128', true],
    ['192.168.1.255', true],
  ])('matches IPv4 %s: %s', (address, expected) => {
    expect(list.contains(address)).toBe(expected);
  });

  it.each([
    ['::1', true],
    ['::2', false],
    ['2001:db8::', true],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:DB8::1', true],
    ['2001:db9::', false],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['fe80::1', false],
  ])('matches IPv6 %s: %s', (address, expected) => {
    expect(list.contains(address)).toBe(expected);
  });

  it.each([
    ['::ffff:127.0.0.2', true],
    ['::ffff:10.9.8.7', true],
    ['::ffff:127.0.0.1', false],
    ['::ffff:11.0.0.1', false],
  ])('matches the IPv4-mapped address %s as its IPv4 address: %s', (address, expected) => {
    expect(list.contains(address)).toBe(expected);
  });

  it('matches an IPv4-mapped address against a whole IPv4 network, as a dual-stack listener reports it', () => {
    expect(new CidrList(['127.0.0.0/8']).contains('::ffff:127.0.0.2')).toBe(true);
  });

  it('does not let an IPv6 network that is not the mapped range match IPv4 peers', () => {
    const v6only = new CidrList(['::1/128', '2001:db8::/32']);
    expect(v6only.contains('127.0.0.1')).toBe(false);
    expect(v6only.contains('::ffff:127.0.0.1')).toBe(false);
  });

  // Pins Node's BlockList cross-family behaviour that contains() builds on, so an upgrade that
  // changes it fails here rather than in production.
  it('matches IPv4 peers against a rule written in the IPv4-mapped IPv6 range', () => {
    expect(new CidrList(['::ffff:0:0/96']).contains('1.2.3.4')).toBe(true);
    expect(new CidrList(['::ffff:127.0.0.0/104']).contains('127.0.0.9')).toBe(true);
    expect(new CidrList(['::ffff:127.0.0.0/104']).contains('::ffff:127.0.0.9')).toBe(true);
    expect(new CidrList(['::ffff:127.0.0.0/104']).contains('128.0.0.1')).toBe(false);
  });

  it('treats 0.0.0.0/0 as every IPv4 peer (mapped included) but no IPv6 one', () => {
    const allV4 = new CidrList(['0.0.0.0/0']);
    expect(allV4.contains('203.0.113.9')).toBe(true);
    expect(allV4.contains('::ffff:203.0.113.9')).toBe(true);
    expect(allV4.contains('2001:db8::1')).toBe(false);
  });

  it('accepts a bare address as a single host', () => {
    const host = new CidrList(['198.51.100.7', '2001:db8::7']);
    expect(host.contains('198.51.100.7')).toBe(true);
    expect(host.contains('198.51.100.8')).toBe(false);
    expect(host.contains('2001:db8::7')).toBe(true);
    expect(host.contains('2001:db8::8')).toBe(false);
  });

  it('contains nothing when empty', () => {
    const empty = new CidrList([]);
    expect(empty.contains('127.0.0.1')).toBe(false);
    expect(empty.contains('::1')).toBe(false);
  });

  it('answers false for strings that are not addresses instead of throwing', () => {
    for (const junk of ['', 'localhost', '1.2.3', '1.2.3.4.5', '::g', '10.0.0.1/8']) {
      expect(list.contains(junk)).toBe(false);
    }
  });

  it('keeps the networks it was built from', () => {
    expect(new CidrList(['10.0.0.0/8', '::1/128']).cidrs).toEqual(['10.0.0.0/8', '::1/128']);
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0/8', 'localhost/8', 'fe80::1%eth0/64', '10.0.0.0/8/8', ''])(
    'refuses the malformed network %j with SRL_ERR_ADMISSION_CIDR',
    (cidr) => {
      let error: unknown;
      try {
        new CidrList([cidr]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AdmissionError);
      expect((error as AdmissionError).code).toBe('SRL_ERR_ADMISSION_CIDR');
    },
  );

  describe('any()', () => {
    it('contains every address of both families, mapped ones, and even junk', () => {
      const any = CidrList.any();
      for (const a of ['0.0.0.0', '255.255.255.255', '::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:10.0.0.1', 'not-an-address']) {
        expect(any.contains(a)).toBe(true);
      }
    });
  });
});
