import * as net from 'node:net';
import * as tls from 'node:tls';
import type { PoolSpec } from '@stratum-relay/shared-types';

/** TLS settings for pools reached over `stratum+ssl://` / `stratum+tls://`. */
export interface PoolTlsOptions {
  /** Extra CA certificates (PEM), trusted beside the system's (POOL_CA_FILE). */
  readonly ca: Buffer | null;
  /** Skip certificate verification (POOL_TLS_INSECURE: explicit, warned at start). */
  readonly insecure: boolean;
}

export const DEFAULT_POOL_TLS: PoolTlsOptions = Object.freeze({ ca: null, insecure: false });

/**
 * Opens the socket to one pool. Tests inject one to delay or withhold the connect
 * deterministically; the returned socket must emit `readyEvent` once usable.
 */
export type PoolDialer = (pool: PoolSpec, tlsOptions: PoolTlsOptions) => DialedSocket;

export interface DialedSocket {
  readonly socket: net.Socket;
  /** `connect` for TCP, `secureConnect` for TLS (the handshake and verification are done). */
  readonly readyEvent: 'connect' | 'secureConnect';
}

let systemRootsWithCa: { ca: Buffer; roots: string[] } | null = null;

/** The system roots plus the operator's CA file (passing `ca` alone would drop the system roots). */
function trustedRoots(ca: Buffer): string[] {
  if (systemRootsWithCa === null || systemRootsWithCa.ca !== ca) {
    systemRootsWithCa = { ca, roots: [...tls.rootCertificates, ca.toString('utf8')] };
  }
  return systemRootsWithCa.roots;
}

/** The real dialer: `net.connect`, or `tls.connect` with SNI = host (unless the host is an IP literal). */
export const dialPool: PoolDialer = (pool, tlsOptions) => {
  if (pool.scheme === 'tcp') {
    return { socket: net.connect({ host: pool.host, port: pool.port, allowHalfOpen: true }), readyEvent: 'connect' };
  }
  // allowHalfOpen as for TCP pools: without it a pool's FIN made Node end our side too, and what
  // the miner sent after the pool half-closed was dropped (the relay forwards half-closes both
  // ways). tls.connect honours it (Node docs); @types/node's ConnectionOptions lacks it.
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    host: pool.host,
    port: pool.port,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: !tlsOptions.insecure,
    allowHalfOpen: true,
  };
  // RFC 6066: SNI carries host names only, never IP literals.
  if (net.isIP(pool.host) === 0) options.servername = pool.host;
  if (tlsOptions.ca !== null) options.ca = trustedRoots(tlsOptions.ca);
  return { socket: tls.connect(options), readyEvent: 'secureConnect' };
};
