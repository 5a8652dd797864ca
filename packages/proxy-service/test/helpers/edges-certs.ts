/**
 * Self-signed certificates for the TLS-listener tests of the secure edges, made by the `openssl`
 * CLI (what docs/OPERATING.md tells operators to use), and a TLS miner client that reports which
 * certificate the relay presented.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { onCleanup } from './edges-kit';

export interface SelfSigned {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** What a client sees: X509Certificate.fingerprint256 / PeerCertificate.fingerprint256. */
  readonly fingerprint256: string;
}

/**
 * `count` self-signed P-256 certificates for localhost / 127.0.0.1 (P-256: milliseconds to
 * make, unlike RSA). Fails loudly when openssl is missing.
 */
export function selfSignedCerts(count: number): SelfSigned[] {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-edges-certs-'));
  try {
    const out: SelfSigned[] = [];
    for (let i = 0; i < count; i++) {
      const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
      args.push('-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', `k${i}.pem`, '-out', `c${i}.pem`);
      try {
        execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
        if (e.code === 'ENOENT') throw new Error('these tests need the openssl CLI on PATH to make test certificates', { cause: error });
        throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`, { cause: error });
      }
      const cert = readFileSync(join(dir, `c${i}.pem`));
      out.push({ cert, key: readFileSync(join(dir, `k${i}.pem`)), fingerprint256: new X509Certificate(cert).fingerprint256 });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A miner over TLS: the certificate it was shown, and its answers by id. */
export interface TlsMiner {
  readonly socket: tls.TLSSocket;
  readonly fingerprint256: string;
  send(message: object): void;
  /** The answer with this id (bounded wait). */
  response(id: number, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Connect over TLS to 127.0.0.1:`port` (the test certificates are self-signed: not verified, only identified). */
export async function connectTlsMiner(port: number, timeoutMs = 5_000): Promise<TlsMiner> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
  socket.on('error', () => undefined);
  onCleanup(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no TLS handshake with 127.0.0.1:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const lines: Record<string, unknown>[] = [];
  let tail = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const parts = (tail + chunk).split('\n');
    tail = parts.pop() ?? '';
    for (const line of parts) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return {
    socket,
    fingerprint256: socket.getPeerCertificate().fingerprint256,
    send(message) {
      socket.write(`${JSON.stringify(message)}\n`);
    },
    async response(id, wait = 5_000) {
      const deadline = Date.now() + wait;
      for (;;) {
        const found = lines.find((m) => m.id === id);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no answer with id ${id} within ${wait} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
