import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { RejectReason, TlsHandshakeFailureReason } from '@stratum-relay/shared-types';
import type { ProxyEventBus } from '../event-bus';
import { CidrList, normalizeAddress } from './cidr-list';
import { IpAdmission } from './ip-admission';
import { parseProxyHeader } from './proxy-protocol';

/** The admission rules; all can change on a config reload (for new connections). */
export interface AdmissionSettings {
  /** null = everyone. */
  readonly allowFrom: readonly string[] | null;
  readonly maxConnectionsPerIp: number | null;
  readonly connectionsPerSecondPerIp: number | null;
  /** Require a HAProxy PROXY protocol header (v1 or v2) before any Stratum byte. */
  readonly proxyProtocol: boolean;
  /** Balancers allowed to send the header; null = any source. */
  readonly proxyProtocolFrom: readonly string[] | null;
  /** A connection that sends nothing for this long is closed; 0 = off. Also bounds the PROXY header and the TLS handshake. */
  readonly firstByteTimeoutMs: number;
}

export const OPEN_ADMISSION: AdmissionSettings = Object.freeze({
  allowFrom: null,
  maxConnectionsPerIp: null,
  connectionsPerSecondPerIp: null,
  proxyProtocol: false,
  proxyProtocolFrom: null,
  firstByteTimeoutMs: 0,
});

/** A connection that passed every rule: ready to be relayed. */
export interface AdmittedConnection {
  /** The miner's stream: the accepted socket, or the TLS socket on top of it. */
  readonly socket: net.Socket;
  /** The miner's address: from the PROXY header when there is one, else the socket's. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes the miner already sent (read while waiting for its first byte); relayed first. */
  readonly initialBytes: Buffer;
  /** Give the per-IP slot back (exactly once; further calls do nothing). */
  readonly release: () => void;
}

export interface AdmissionGateOptions {
  readonly settings: AdmissionSettings;
  readonly bus: ProxyEventBus;
  readonly onAdmitted: (connection: AdmittedConnection) => void;
}

const EMPTY = Buffer.alloc(0);

/** Without a first-byte deadline, a TLS handshake still must not hang forever. */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;

/**
 * The step between accept and relay: allow-list, per-IP counts and rates, the PROXY protocol
 * header, the TLS handshake and the first-byte deadline — in that order, cheapest refusal first,
 * and always before an upstream socket is opened. Every refusal is one `connection.rejected`
 * event with one reason per rule. The relay never sees any of this: what it gets is the miner's
 * stream with the miner's own bytes, unchanged.
 */
export class AdmissionGate {
  private settings: AdmissionSettings;
  private ip: IpAdmission;
  private proxyFrom: CidrList | null;
  private readonly bus: ProxyEventBus;
  private readonly onAdmitted: (connection: AdmittedConnection) => void;
  private readonly waiting = new Set<net.Socket>();

  constructor(options: AdmissionGateOptions) {
    this.settings = options.settings;
    this.bus = options.bus;
    this.onAdmitted = options.onAdmitted;
    this.ip = new IpAdmission(ipOptions(options.settings));
    this.proxyFrom = listOrNull(options.settings.proxyProtocolFrom);
  }

  /** Sockets accepted and still in admission (they hold descriptors: they count against the limit). */
  get pending(): number {
    return this.waiting.size;
  }

  /** New rules for new connections; per-IP counts of open connections are kept. */
  reconfigure(settings: AdmissionSettings): void {
    this.ip.reconfigure(ipOptions(settings));
    this.proxyFrom = listOrNull(settings.proxyProtocolFrom);
    this.settings = settings;
  }

  /** Destroy every socket still in admission (shutdown). */
  closeAll(): void {
    for (const socket of [...this.waiting]) socket.destroy();
    this.waiting.clear();
  }

  /**
   * A socket admitted with no rule to check (no allow-list, limits, header or deadline): only
   * counted per IP, so that limits turned on later by a reload see the connections already open.
   */
  admitDirect(socket: net.Socket): AdmittedConnection {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    this.ip.admit(address);
    return { socket, remoteAddress: address, remotePort: socket.remotePort ?? 0, initialBytes: EMPTY, release: this.releaser(address) };
  }

  /** A connection handed over by another process: counted per IP (never refused), released on close. */
  adopt(remoteAddress: string): () => void {
    const address = normalizeAddress(remoteAddress);
    this.ip.adopt(address);
    return this.releaser(address);
  }

  /** Runs the rules on an accepted socket; `tlsContext` makes it the TLS listener's. */
  admit(socket: net.Socket, tlsContext: tls.SecureContext | null): void {
    const settings = this.settings;
    const peer = normalizeAddress(socket.remoteAddress ?? '');
    const peerPort = socket.remotePort ?? 0;
    this.waiting.add(socket);
    socket.on('error', ignoreError);
    socket.once('close', () => this.waiting.delete(socket));

    if (!settings.proxyProtocol) {
      if (!this.checkIp(socket, peer, peerPort)) return;
      const release = this.releaser(peer);
      if (tlsContext !== null) this.handshake(socket, Buffer.alloc(0), tlsContext, peer, peerPort, release);
      else this.awaitFirstByte(socket, socket, Buffer.alloc(0), peer, peerPort, release);
      return;
    }
    if (this.proxyFrom !== null && !this.proxyFrom.contains(peer)) {
      this.refuse(socket, peer, peerPort, 'proxy_protocol');
      return;
    }
    this.readProxyHeader(socket, peer, peerPort, tlsContext);
  }

  // ---- steps ------------------------------------------------------------------------------

  private readProxyHeader(socket: net.Socket, peer: string, peerPort: number, tlsContext: tls.SecureContext | null): void {
    let buffered: Buffer = Buffer.alloc(0);
    const timer = this.deadline(() => {
      cleanup();
      this.refuse(socket, peer, peerPort, 'proxy_protocol');
    });
    const cleanup = (): void => {
      if (timer !== null) clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', cleanup);
    };
    // The listeners are half-open (allowHalfOpen): a peer that hangs up before its header only
    // ends the stream. Without this it held its descriptor and its maxConnections slot until the
    // first-byte deadline, and forever with none (firstByteTimeoutMs 0). Refused as the deadline
    // would have; a socket that closes (reset, shutdown) just stops the deadline.
    const onEnd = (): void => {
      cleanup();
      this.refuse(socket, peer, peerPort, 'proxy_protocol');
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const result = parseProxyHeader(buffered);
      if (result.kind === 'incomplete') return;
      cleanup();
      socket.pause();
      if (result.kind === 'invalid') {
        this.refuse(socket, peer, peerPort, 'proxy_protocol');
        return;
      }
      const address = result.kind === 'proxied' ? normalizeAddress(result.sourceAddress) : peer;
      const port = result.kind === 'proxied' ? result.sourcePort : peerPort;
      if (!this.checkIp(socket, address, port)) return;
      const rest = buffered.subarray(result.headerBytes);
      const release = this.releaser(address);
      if (tlsContext !== null) this.handshake(socket, rest, tlsContext, address, port, release);
      else this.awaitFirstByte(socket, socket, rest, address, port, release);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', cleanup);
  }

  private handshake(raw: net.Socket, rest: Buffer, context: tls.SecureContext, address: string, port: number, release: () => void): void {
    // Bytes already read past the PROXY header belong to the TLS stream: feed them first.
    const transport: net.Socket | Duplex = rest.length === 0 ? raw : prependTo(raw, rest);
    const secure = new tls.TLSSocket(transport as net.Socket, { isServer: true, secureContext: context });
    // Until the handshake is done `raw` alone stands for this connection in `waiting` (one
    // connection, one maxConnections slot; adding `secure` too counted it twice). Destroying `raw`
    // (closeAll) tears `secure` down with it, which ends in `fail`.
    let done = false;
    const fail = (reason: TlsHandshakeFailureReason, error: string): void => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      this.waiting.delete(secure);
      release();
      if (this.bus.hasListeners) this.bus.emit({ type: 'tls.handshake_failed', t: performance.now(), remoteAddress: address, reason, error });
      secure.destroy();
      this.refuse(raw, address, port, 'tls_handshake');
    };
    const timeoutMs = this.settings.firstByteTimeoutMs > 0 ? this.settings.firstByteTimeoutMs : DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const timer: NodeJS.Timeout | null = setTimeout(() => fail('timeout', `no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    const onError = (err: NodeJS.ErrnoException): void => fail(tlsFailureReason(err), err.code ?? err.message);
    const onClose = (): void => fail('reset', 'closed during the TLS handshake');
    // Half-open listener: a client that hangs up mid-handshake (as Node's does when it rejects our
    // certificate) only ends the stream; without this it was noticed at the handshake deadline.
    const onEnd = (): void => fail('reset', 'the client hung up during the TLS handshake');
    secure.on('error', onError);
    secure.once('close', onClose);
    secure.once('end', onEnd);
    secure.once('secure', () => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      // Only our own listeners: removeAllListeners also dropped Node's (the 'close' one frees the
      // OpenSSL state at once, the 'end' one ends a socket that is not half-open).
      secure.off('error', onError);
      secure.off('close', onClose);
      secure.off('end', onEnd);
      secure.on('error', ignoreError);
      this.waiting.add(secure);
      secure.once('close', () => this.waiting.delete(secure));
      this.waiting.delete(raw);
      this.awaitFirstByte(secure, raw, Buffer.alloc(0), address, port, release);
    });
  }

  /** Stratum miners speak first: a connection that says nothing is closed before a pool is dialled. */
  private awaitFirstByte(stream: net.Socket, raw: net.Socket, already: Buffer, address: string, port: number, release: () => void): void {
    const timeoutMs = this.settings.firstByteTimeoutMs;
    if (already.length > 0 || timeoutMs <= 0) {
      this.pass(stream, raw, already, address, port, release);
      return;
    }
    const detach = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      stream.off('end', onEnd);
    };
    const timer = setTimeout(() => {
      detach();
      release();
      this.refuse(stream, address, port, 'first_byte_timeout');
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      detach();
      stream.pause();
      this.pass(stream, raw, chunk, address, port, release);
    };
    const onClose = (): void => {
      detach();
      release();
    };
    // Half-open listener: a miner that leaves without a word only ends the stream. Nothing to
    // relay and nothing refused: close it now rather than at the deadline.
    const onEnd = (): void => {
      detach();
      release();
      this.waiting.delete(stream);
      this.waiting.delete(raw);
      stream.destroy();
      if (raw !== stream) raw.destroy();
    };
    stream.on('data', onData);
    stream.once('close', onClose);
    stream.once('end', onEnd);
    stream.resume();
  }

  private pass(stream: net.Socket, raw: net.Socket, initialBytes: Buffer, address: string, port: number, release: () => void): void {
    this.waiting.delete(stream);
    this.waiting.delete(raw);
    stream.off('error', ignoreError);
    if (stream.destroyed) {
      release();
      return;
    }
    this.onAdmitted({ socket: stream, remoteAddress: address, remotePort: port, initialBytes, release });
  }

  // ---- helpers ----------------------------------------------------------------------------

  private checkIp(socket: net.Socket, address: string, port: number): boolean {
    const verdict = this.ip.admit(address);
    if (verdict.ok) return true;
    this.refuse(socket, address, port, verdict.reason);
    return false;
  }

  private releaser(address: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.ip.release(address);
    };
  }

  private deadline(onExpired: () => void): NodeJS.Timeout | null {
    const ms = this.settings.firstByteTimeoutMs;
    return ms > 0 ? setTimeout(onExpired, ms) : null;
  }

  private refuse(socket: net.Socket, address: string, port: number, reason: RejectReason): void {
    this.waiting.delete(socket);
    if (this.bus.hasListeners) this.bus.emit({ type: 'connection.rejected', t: performance.now(), remoteAddress: address, remotePort: port, reason });
    socket.destroy();
  }
}

function ipOptions(settings: AdmissionSettings): { allowFrom: CidrList | null; maxConnectionsPerIp: number | null; connectionsPerSecondPerIp: number | null } {
  return {
    allowFrom: listOrNull(settings.allowFrom),
    maxConnectionsPerIp: settings.maxConnectionsPerIp,
    connectionsPerSecondPerIp: settings.connectionsPerSecondPerIp,
  };
}

function listOrNull(cidrs: readonly string[] | null): CidrList | null {
  return cidrs === null ? null : new CidrList(cidrs);
}

/** A duplex that yields `first`, then everything `raw` reads; writes go to `raw`. */
function prependTo(raw: net.Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      raw.write(chunk, callback);
    },
    final(callback) {
      raw.end();
      callback();
    },
    destroy(err, callback) {
      raw.destroy();
      callback(err);
    },
  });
  duplex.push(first);
  raw.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) raw.pause();
  });
  raw.on('end', () => duplex.push(null));
  raw.on('close', () => duplex.destroy());
  return duplex;
}

function tlsFailureReason(err: NodeJS.ErrnoException): TlsHandshakeFailureReason {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  // ..._ALERT_UNKNOWN_CA, _BAD_CERTIFICATE …: the client does not trust our certificate.
  if (code.includes('CERT') || code.endsWith('_CA')) return 'certificate';
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO') return 'protocol';
  return 'other';
}

function ignoreError(): void {}
