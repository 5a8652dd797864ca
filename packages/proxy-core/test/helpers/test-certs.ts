import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';

/** A key and certificate in PEM, with the certificate's SHA-256 fingerprint (what a client sees). */
export interface KeyPair {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly fingerprint256: string;
}

/** Certificates made fresh for one test file by the `openssl` CLI, in a temporary directory. */
export interface TestCerts {
  readonly dir: string;
  /** The test CA's certificate (PEM): what clients and the pool dialer trust. */
  readonly ca: Buffer;
  /** CN=localhost, SAN DNS:localhost + IP:127.0.0.1, signed by the CA. */
  readonly server: KeyPair;
  /** Same names, another key, also signed by the CA: the rotated certificate. */
  readonly rotated: KeyPair;
  /** Same names, self-signed: nothing to do with the CA. */
  readonly unrelated: KeyPair;
  /** Deletes the directory. */
  remove(): void;
}

/** `openssl` with its stderr in the error, so a missing binary or a bad flag fails loudly. */
function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the openssl CLI is required to generate the test certificates and was not found on PATH', { cause: err });
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`, { cause: err });
  }
}

// P-256 keys: generated in milliseconds, unlike RSA.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const SERVER_NAMES = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

function pair(dir: string, name: string): KeyPair {
  const cert = readFileSync(join(dir, `${name}.pem`));
  return { key: readFileSync(join(dir, `${name}.key`)), cert, fingerprint256: new X509Certificate(cert).fingerprint256 };
}

/** A leaf for localhost / 127.0.0.1 signed by the CA in `dir`. */
function signedLeaf(dir: string, name: string): void {
  openssl(dir, ['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost']);
  writeFileSync(
    join(dir, `${name}.ext`),
    `${SERVER_NAMES}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

/**
 * Makes a CA, two server certificates it signed (localhost + 127.0.0.1) and an unrelated
 * self-signed one, with the `openssl` CLI. Throws (never skips) when openssl is missing.
 */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'srl-edges-certs-'));
  try {
    openssl(dir, [
      'req', '-x509', ...NEW_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-sha256',
      '-subj', '/CN=stratum-relay test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    signedLeaf(dir, 'server');
    signedLeaf(dir, 'rotated');
    openssl(dir, [
      'req', '-x509', ...NEW_KEY, '-keyout', 'unrelated.key', '-out', 'unrelated.pem', '-days', '2', '-sha256',
      '-subj', '/CN=localhost', '-addext', SERVER_NAMES,
    ]);
    return {
      dir,
      ca: readFileSync(join(dir, 'ca.pem')),
      server: pair(dir, 'server'),
      rotated: pair(dir, 'rotated'),
      unrelated: pair(dir, 'unrelated'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A server-side SecureContext for `pair`. */
export function contextOf(pair: KeyPair): tls.SecureContext {
  return tls.createSecureContext({ key: pair.key, cert: pair.cert });
}
