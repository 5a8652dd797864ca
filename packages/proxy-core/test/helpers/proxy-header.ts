import { isIPv4 } from 'node:net';

/** Fields of a PROXY protocol v2 header; defaults give PROXY over TCP/IPv4. */
export interface ProxyV2Fields {
  /** High nibble of byte 13 (must be 2; other values test refusal). */
  version?: number;
  /** 0 LOCAL, 1 PROXY. */
  command?: number;
  /** 0 UNSPEC, 1 AF_INET, 2 AF_INET6, 3 AF_UNIX. */
  family?: number;
  /** 0 UNSPEC, 1 STREAM, 2 DGRAM. */
  transport?: number;
  sourceAddress?: string;
  destAddress?: string;
  sourcePort?: number;
  destPort?: number;
  /** Raw address block, for families the helper does not encode (AF_UNIX) or wrong lengths. */
  addressBlock?: Buffer;
  tlvs?: { type: number; value: Buffer }[];
  /** Override the length field (to test lengths that do not match the body). */
  length?: number;
}

export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A PROXY protocol v2 header built independently of the parser under test. */
export function encodeProxyV2(fields: ProxyV2Fields = {}): Buffer {
  const version = fields.version ?? 2;
  const command = fields.command ?? 1;
  const family = fields.family ?? 1;
  const transport = fields.transport ?? 1;
  let addressBlock = fields.addressBlock;
  if (addressBlock === undefined) {
    if (family === 1 || family === 2) {
      const size = family === 1 ? 4 : 16;
      const src = fields.sourceAddress ?? (family === 1 ? '192.0.2.10' : '2001:db8::10');
      const dst = fields.destAddress ?? (family === 1 ? '198.51.100.1' : '2001:db8::1');
      const ports = Buffer.alloc(4);
      ports.writeUInt16BE(fields.sourcePort ?? 50_000, 0);
      ports.writeUInt16BE(fields.destPort ?? 3333, 2);
      addressBlock = Buffer.concat([addressBytes(src, size), addressBytes(dst, size), ports]);
    } else {
      addressBlock = Buffer.alloc(0);
    }
  }
  const tlvs = (fields.tlvs ?? []).map(({ type, value }) => {
    const head = Buffer.alloc(3);
    head.writeUInt8(type, 0);
    head.writeUInt16BE(value.length, 1);
    return Buffer.concat([head, value]);
  });
  const body = Buffer.concat([addressBlock, ...tlvs]);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt8(((version & 0xf) << 4) | (command & 0xf), 0);
  fixed.writeUInt8(((family & 0xf) << 4) | (transport & 0xf), 1);
  fixed.writeUInt16BE(fields.length ?? body.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

/** Network-order bytes of a dotted IPv4 or a full or `::`-compressed IPv6 without embedded IPv4. */
function addressBytes(address: string, size: 4 | 16): Buffer {
  if (size === 4) {
    if (!isIPv4(address)) throw new Error(`not IPv4: ${address}`);
    return Buffer.from(address.split('.').map(Number));
  }
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  if (groups.length !== 8) throw new Error(`not a plain IPv6 address: ${address}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Every prefix of `input`, shortest first: what a caller holds as the bytes arrive one by one. */
export function growingPrefixes(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 0; n <= input.length; n++) out.push(input.subarray(0, n));
  return out;
}
