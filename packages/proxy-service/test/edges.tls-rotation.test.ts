import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { cleanupAll, waitFor } from './service-test-kit';
import { cleanupEdges, scrape, startService, startTaggedPool, tempConfigFile, valueOf, type RunningService, type TaggedPool } from './helpers/edges-kit';
import { connectTlsMiner, selfSignedCerts, type SelfSigned, type TlsMiner } from './helpers/edges-certs';

afterEach(async () => {
  await cleanupEdges();
  await cleanupAll();
});

let certs: SelfSigned[];
beforeAll(() => {
  certs = selfSignedCerts(2);
});

interface Setup {
  readonly run: RunningService;
  readonly pool: TaggedPool;
  readonly tlsPort: number;
  /** Replace the certificate and key files in place, as a renewal (certbot deploy hook) does. */
  install(pair: SelfSigned): void;
  installRaw(cert: string, key: string): void;
}

async function startWithTls(): Promise<Setup> {
  const pool = await startTaggedPool('a', 'aa000001');
  const dir = tempConfigFile().dir;
  const certFile = join(dir, 'relay.crt');
  const keyFile = join(dir, 'relay.key');
  const installRaw = (cert: string, key: string): void => {
    writeFileSync(certFile, cert);
    writeFileSync(keyFile, key);
  };
  const install = (pair: SelfSigned): void => installRaw(pair.cert.toString('utf8'), pair.key.toString('utf8'));
  install(certs[0] as SelfSigned);
  const run = await startService({
    POOL_HOST: '127.0.0.1',
    POOL_PORT: String(pool.port),
    TLS_HOST: '127.0.0.1',
    TLS_PORT: '0',
    TLS_CERT_FILE: certFile,
    TLS_KEY_FILE: keyFile,
  });
  const tlsPort = run.service.proxyServer?.tlsAddress()?.port;
  if (tlsPort === undefined) throw new Error('the TLS listener is not listening');
  return { run, pool, tlsPort, install, installRaw };
}

async function handshake(miner: TlsMiner, worker: string): Promise<void> {
  miner.send({ id: 1, method: 'mining.subscribe', params: ['edges-tls/1.0'] });
  miner.send({ id: 2, method: 'mining.authorize', params: [worker, 'x'] });
  await miner.response(2);
}

async function submitAnswered(miner: TlsMiner, id: number, worker: string): Promise<unknown> {
  miner.send({ id, method: 'mining.submit', params: [worker, 'job1', '00000000', '5f5e1000', '12345678'] });
  return (await miner.response(id)).pool;
}

describe('TLS listener certificate rotation by SIGHUP', () => {
  it('serves the new certificate to new miners after a reload while an established TLS miner keeps relaying', async () => {
    const [first, second] = certs as [SelfSigned, SelfSigned];
    const { run, pool, tlsPort, install } = await startWithTls();
    const established = await connectTlsMiner(tlsPort);
    expect(established.fingerprint256).toBe(first.fingerprint256);
    await handshake(established, 'tls.rig1');

    install(second);
    // Until the reload, the certificate read at start is served.
    expect((await connectTlsMiner(tlsPort)).fingerprint256).toBe(first.fingerprint256);
    expect(run.service.reload(run.reloadConfig())).toEqual({ ok: true, applied: [], ignored: [], errors: [] });

    const newcomer = await connectTlsMiner(tlsPort);
    expect(newcomer.fingerprint256).toBe(second.fingerprint256);
    await handshake(newcomer, 'tls.rig2');
    expect(await submitAnswered(newcomer, 3, 'tls.rig2')).toBe('a');
    expect(await submitAnswered(established, 3, 'tls.rig1')).toBe('a');
    expect(established.socket.destroyed).toBe(false);
    expect(pool.minerSessions()).toBe(2);
    const metrics = await scrape(run.metricsPort);
    expect(valueOf(metrics, 'stratum_config_reloads_total', { result: 'success' })).toBe(1);
  });

  it('rejects a reload whose certificate file is not PEM, and keeps serving the running certificate', async () => {
    const [first] = certs as [SelfSigned];
    const { run, tlsPort, installRaw } = await startWithTls();
    installRaw('not a certificate\n', 'not a key\n');
    const result = run.service.reload(run.reloadConfig());
    expect(result.ok).toBe(false);
    expect(result.errors.join('\n')).toMatch(/TLS_CERT_FILE .* not a usable certificate and key/);
    expect(run.log.find('config reload rejected')).toMatchObject({ level: 'error' });
    const miner = await connectTlsMiner(tlsPort);
    expect(miner.fingerprint256).toBe(first.fingerprint256);
    await handshake(miner, 'tls.rig3');
    expect(valueOf(await scrape(run.metricsPort), 'stratum_config_reloads_total', { result: 'failure' })).toBe(1);
  });

  it('counts a failed handshake by reason and never dials a pool for it', async () => {
    const { run, pool, tlsPort } = await startWithTls();
    // Plain Stratum sent to the TLS port: not a ClientHello.
    const plain = net.connect({ host: '127.0.0.1', port: tlsPort });
    plain.on('error', () => undefined);
    plain.resume();
    let closed = false;
    plain.once('close', () => (closed = true));
    plain.write(`${JSON.stringify({ id: 1, method: 'mining.subscribe', params: [] })}\n`);
    await waitFor('the plain connection closed by the TLS listener', () => (closed ? true : undefined), 5_000);

    const metrics = await scrape(run.metricsPort);
    expect(valueOf(metrics, 'stratum_tls_handshake_failures_total', { reason: 'protocol' })).toBe(1);
    expect(valueOf(metrics, 'stratum_connections_rejected_total', { reason: 'tls_handshake' })).toBe(1);
    expect(pool.minerSessions()).toBe(0);
    expect(run.log.find('miner TLS handshake failed')).toMatchObject({ level: 'warn', reason: 'protocol' });
  });
});
