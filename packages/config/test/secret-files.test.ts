import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, readSecretFiles } from '@stratum-relay/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-config-secrets-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeText(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n';
const TOKEN = 'metrics-token-0123';

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SRL_ERR_CONFIG');
    return error as ConfigError;
  }
  throw new Error('did not throw');
}

describe('readSecretFiles', () => {
  it('reads the certificate, key and CA as bytes and the token from its file, trimmed', () => {
    const config = loadConfig({
      argv: ['--pool-host', 'h', '--tls-port', '0'],
      env: {
        TLS_CERT_FILE: writeText('cert.pem', CERT),
        TLS_KEY_FILE: writeText('key.pem', KEY),
        POOL_CA_FILE: writeText('ca.pem', CA),
        METRICS_TOKEN_FILE: writeText('token', `\n  ${TOKEN}\r\n`),
      },
    });
    const secrets = readSecretFiles(config);
    expect(secrets.tls?.cert.toString()).toBe(CERT);
    expect(secrets.tls?.key.toString()).toBe(KEY);
    expect(secrets.poolCa?.toString()).toBe(CA);
    expect(secrets.metricsToken).toBe(TOKEN);
  });

  it('gives nulls when nothing is configured, and METRICS_TOKEN itself when set', () => {
    expect(readSecretFiles(loadConfig({ argv: ['--pool-host', 'h'], env: {} }))).toEqual({ tls: null, poolCa: null, metricsToken: null });
    expect(readSecretFiles(loadConfig({ argv: ['--pool-host', 'h'], env: { METRICS_TOKEN: TOKEN } })).metricsToken).toBe(TOKEN);
  });

  it('reads no certificate while TLS_PORT is none', () => {
    const config = loadConfig({ argv: ['--pool-host', 'h', '--tls-cert-file', writeText('unused-cert.pem', CERT)], env: {} });
    expect(readSecretFiles(config).tls).toBeNull();
  });

  it('picks up a renewed certificate and a rotated token on the next call (SIGHUP)', () => {
    const certPath = writeText('rotating-cert.pem', CERT);
    const tokenPath = writeText('rotating-token', TOKEN);
    const config = loadConfig({
      argv: ['--pool-host', 'h', '--tls-port', '0', '--tls-cert-file', certPath, '--tls-key-file', writeText('rotating-key.pem', KEY), '--metrics-token-file', tokenPath],
      env: {},
    });
    expect(readSecretFiles(config).metricsToken).toBe(TOKEN);
    writeFileSync(certPath, CA);
    writeFileSync(tokenPath, 'next-token\n');
    const next = readSecretFiles(config);
    expect(next.tls?.cert.toString()).toBe(CA);
    expect(next.metricsToken).toBe('next-token');
  });

  it('reports every file that went missing or empty since the config was loaded, never their content', () => {
    const certPath = writeText('gone-cert.pem', CERT);
    const caPath = writeText('gone-ca.pem', CA);
    const tokenPath = writeText('emptied-token', TOKEN);
    const config = loadConfig({
      argv: ['--pool-host', 'h', '--tls-port', '3443', '--tls-cert-file', certPath, '--tls-key-file', writeText('kept-key.pem', KEY)],
      env: { POOL_CA_FILE: caPath, METRICS_TOKEN_FILE: tokenPath },
    });
    unlinkSync(certPath);
    unlinkSync(caPath);
    writeFileSync(tokenPath, '\n');
    const error = thrown(() => readSecretFiles(config));
    expect(error.problems).toEqual([
      `TLS_CERT_FILE / --tls-cert-file: ${JSON.stringify(certPath)} does not exist`,
      `POOL_CA_FILE / --pool-ca-file: ${JSON.stringify(caPath)} does not exist`,
      `METRICS_TOKEN_FILE / --metrics-token-file: ${JSON.stringify(tokenPath)} holds no token: expected the token on one line (surrounding whitespace is ignored)`,
    ]);
    expect(error.message).not.toContain(KEY);
  });

  it('reports a token file that no longer holds a valid token without showing it', () => {
    const tokenPath = writeText('bad-token', TOKEN);
    const config = loadConfig({ argv: ['--pool-host', 'h', '--metrics-token-file', tokenPath], env: {} });
    writeFileSync(tokenPath, `${TOKEN} extra`);
    const error = thrown(() => readSecretFiles(config));
    expect(error.problems).toHaveLength(1);
    expect(error.message).not.toContain(TOKEN);
  });

  it('says which file is required when a hand-built config turns TLS on without one', () => {
    const error = thrown(() =>
      readSecretFiles({ tlsPort: 3443, tlsCertFile: null, tlsKeyFile: writeText('only-key.pem', KEY), poolCaFile: null, metricsToken: null, metricsTokenFile: null }),
    );
    expect(error.problems).toEqual(['TLS_CERT_FILE / --tls-cert-file is required when TLS_PORT is set']);
  });
});
