/**
 * The shipped example configs load as they are written: examples/farm.yaml with its file paths
 * pointed at real files in a temp dir (the loader checks that the certificate, key and token exist).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@stratum-relay/config';

const EXAMPLE = join(__dirname, '..', '..', '..', 'examples', 'farm.yaml');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-examples-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/farm.yaml', () => {
  it('loads: a primary and a TLS backup pool, a TLS listener, a metrics token file, durations', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const etc = '/etc/stratum-relay/';
    const paths = [...new Set(text.match(/\/etc\/stratum-relay\/\S+/g) ?? [])];
    expect(paths.sort()).toEqual(['/etc/stratum-relay/metrics-token', '/etc/stratum-relay/tls/fullchain.pem', '/etc/stratum-relay/tls/privkey.pem']);
    for (const path of paths) {
      const local = join(dir, path.slice(etc.length));
      mkdirSync(join(local, '..'), { recursive: true });
      writeFileSync(local, path.endsWith('metrics-token') ? 'farm-token\n' : 'PEM stand-in\n');
    }
    const file = join(dir, 'farm.yaml');
    writeFileSync(file, text.split(etc).join(`${dir}/`));

    const config = loadConfig({ argv: ['--config', file], env: {} });
    expect(config.pools.map((p) => [p.name, p.scheme, p.host, p.port])).toEqual([
      ['primary', 'tcp', 'pool.example.com', 3333],
      ['backup', 'tls', 'backup.example.net', 443],
    ]);
    expect(config).toMatchObject({
      tlsPort: 3443,
      tlsCertFile: join(dir, 'tls/fullchain.pem'),
      metricsTokenFile: join(dir, 'metrics-token'),
      metricsToken: null,
      allowFrom: ['10.0.0.0/8', '192.168.0.0/16'],
      failbackDelayMs: 120_000,
      idleTimeoutMs: 600_000,
      drainTimeoutMs: 30_000,
      maxConnections: 5000,
    });
  });
});
