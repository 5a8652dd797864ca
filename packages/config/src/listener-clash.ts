import { isIPv4 } from 'node:net';

/** One socket the program binds: the miners' port, the TLS port, the HTTP port. */
export interface Listener {
  /** How the operator names the port: `PROXY_PORT`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Where the port came from (`--metrics-port`, `"proxyPort" in config file x.json`, `default`). */
  readonly from: string;
}

/** `::` binds both families on Linux (Node listens dual-stack unless ipv6Only). */
const ANY_V6: ReadonlySet<string> = new Set(['::', '::0', '0:0:0:0:0:0:0:0']);
const ANY_V4 = '0.0.0.0';

function normalHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

/**
 * Whether two binds on the same port would collide. Only what can be known without resolving
 * names: the same text, the dual-stack wildcard against anything, and the IPv4 wildcard against
 * an IPv4 address. Two different host names may still collide; the bind then says so.
 */
function hostsOverlap(a: string, b: string): boolean {
  const x = normalHost(a);
  const y = normalHost(b);
  if (x === y || ANY_V6.has(x) || ANY_V6.has(y)) return true;
  return (x === ANY_V4 && isIPv4(y)) || (y === ANY_V4 && isIPv4(x));
}

/**
 * One problem per pair of listeners that would bind the same port on overlapping addresses, so a
 * proxy and metrics port left equal is reported while the config is checked, naming both options,
 * rather than as an address-in-use on whichever listener happens to bind second. Port 0 (an
 * ephemeral port per bind) never clashes.
 */
export function listenerClashes(listeners: readonly Listener[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < listeners.length; i++) {
    for (let j = i + 1; j < listeners.length; j++) {
      const a = listeners[i] as Listener;
      const b = listeners[j] as Listener;
      if (a.port === 0 || a.port !== b.port || !hostsOverlap(a.host, b.host)) continue;
      problems.push(
        `${a.name} and ${b.name} are both ${a.port} (${a.name} from ${a.from}, ${b.name} from ${b.from}) on ${a.host === b.host ? a.host : `${a.host} and ${b.host}`}: ` +
          'each listener needs its own port',
      );
    }
  }
  return problems;
}
