import { BadUrlError } from './errors';

export interface StratumEndpoint {
  readonly host: string;
  readonly port: number;
}

const SCHEMES = ['stratum+tcp://', 'tcp://'];

/**
 * Parse `stratum+tcp://host:port` (or `tcp://host:port`, or bare `host:port`); IPv6 hosts in
 * brackets (`[::1]:3333`). TLS (`stratum+ssl://`) and credentials in the URL are refused rather
 * than silently ignored, so a typo never mines against the wrong place.
 */
export function parseStratumUrl(url: string): StratumEndpoint {
  let rest = url.trim();
  const schemeEnd = rest.indexOf('://');
  if (schemeEnd !== -1) {
    const scheme = rest.slice(0, schemeEnd + 3).toLowerCase();
    if (!SCHEMES.includes(scheme)) throw new BadUrlError(url, `unsupported scheme ${scheme} (use stratum+tcp://)`);
    rest = rest.slice(schemeEnd + 3);
  }
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest.includes('/')) throw new BadUrlError(url, 'a path is not allowed');
  if (rest.includes('@')) throw new BadUrlError(url, 'credentials belong in --user/--password, not in the url');

  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1 || rest[close + 1] !== ':') throw new BadUrlError(url, 'expected [ipv6]:port');
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon === -1) throw new BadUrlError(url, 'missing :port');
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(':')) throw new BadUrlError(url, 'put an IPv6 host in brackets: [::1]:3333');
  }
  if (host.length === 0) throw new BadUrlError(url, 'missing host');
  if (!/^[0-9]{1,5}$/.test(portText)) throw new BadUrlError(url, 'port must be a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new BadUrlError(url, 'port must be 1-65535');
  return { host, port };
}
