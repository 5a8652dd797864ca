import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { AdmissionError } from './errors';

const MAPPED_PREFIX = '::ffff:';

/**
 * The address a client is known by: IPv4-mapped IPv6 (`::ffff:127.0.0.2`, how Node reports IPv4
 * peers on a dual-stack listener) becomes plain IPv4, so one miner has one key whichever listener
 * it came in on. Other addresses are returned unchanged: Node's `remoteAddress` and
 * `parseProxyHeader` already give canonical text.
 */
export function normalizeAddress(address: string): string {
  if (address.length > MAPPED_PREFIX.length && address.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX) {
    const v4 = address.slice(MAPPED_PREFIX.length);
    if (isIPv4(v4)) return v4;
  }
  return address;
}

/**
 * A set of IPv4 and IPv6 networks (`10.0.0.0/8`, `::1/128`) answering "is this peer inside?".
 *
 * Matching is done by `node:net` BlockList after {@link normalizeAddress}: a mapped IPv4 peer is
 * looked up as IPv4, so `::ffff:127.0.0.2` is inside `127.0.0.0/8` without relying on BlockList's
 * own cross-family rules (which on Node 20 also match it, and match IPv4 peers against IPv6 rules
 * covering `::ffff:0:0/96`; the tests pin both). An empty list contains nothing.
 */
export class CidrList {
  /** The networks as given, for logs and `/status`. */
  readonly cidrs: readonly string[];
  private readonly blockList = new BlockList();

  /** @throws AdmissionError `SRL_ERR_ADMISSION_CIDR` on a malformed entry (config validates first). */
  constructor(cidrs: readonly string[]) {
    this.cidrs = Object.freeze([...cidrs]);
    for (const cidr of cidrs) this.add(cidr);
  }

  /** A list that contains every address, even one that does not parse. */
  static any(): CidrList {
    return new AnyCidrList();
  }

  /** Whether `address` (IPv4, IPv6 or IPv4-mapped IPv6) lies in one of the networks. Never throws. */
  contains(address: string): boolean {
    const normalized = normalizeAddress(address);
    return this.blockList.check(normalized, isIPv4(normalized) ? 'ipv4' : 'ipv6');
  }

  private add(cidr: string): void {
    const slash = cidr.indexOf('/');
    const address = slash === -1 ? cidr : cidr.slice(0, slash);
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : null;
    const maxPrefix = family === 'ipv4' ? 32 : 128;
    const prefixText = slash === -1 ? String(maxPrefix) : cidr.slice(slash + 1);
    const prefix = /^(0|[1-9][0-9]{0,2})$/.test(prefixText) ? Number(prefixText) : NaN;
    if (family === null || !(prefix <= maxPrefix)) {
      throw new AdmissionError('SRL_ERR_ADMISSION_CIDR', `not a CIDR network: ${JSON.stringify(cidr)}`);
    }
    this.blockList.addSubnet(address, prefix, family);
  }
}

/** `CidrList.any()`: decided once, so `contains` neither parses nor consults BlockList. */
class AnyCidrList extends CidrList {
  constructor() {
    super(['0.0.0.0/0', '::/0']);
  }

  override contains(_address: string): boolean {
    return true;
  }
}
