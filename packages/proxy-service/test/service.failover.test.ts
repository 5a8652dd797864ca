/**
 * The whole service (ProxyService from a config loaded like the program's) in front of two
 * scripted pools on loopback: a miner whose primary refuses is relayed to the backup inside the
 * same connection, and is moved back once the primary is up again.
 */
import * as net from 'node:net';
import { loadConfig } from '@stratum-relay/config';
import { createLogger, type LogDestination } from '@stratum-relay/logger';
import { ProxyService } from '@stratum-relay/proxy-service';
import { parseExposition, sampleValue, seriesOf } from './helpers/metrics-exposition';
import type { Exposition } from './helpers/metrics-exposition';
import { ScriptedMiner, ScriptedPool, eventually } from './helpers/metrics-scripted-peers';
import type { ScriptedPoolConnection } from './helpers/metrics-scripted-peers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function capture(): LogDestination & { json(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    write(line: string) {
      lines.push(line);
    },
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * A pool answering subscribe with `extranonce1` and every other request with true. While `hold`
 * is on it keeps its subscribe answers (a probe then waits: the pool's state stays unknown).
 */
async function scriptedPool(extranonce1: string, port = 0): Promise<{ pool: ScriptedPool; port: number; held: () => number; release(): void; hold: boolean }> {
  let waiting: Array<[ScriptedPoolConnection, unknown]> = [];
  const state = {
    hold: false,
    pool: new ScriptedPool((msg, conn) => {
      const { id, method } = msg;
      if (method === 'mining.subscribe') {
        if (state.hold) waiting.push([conn, id]);
        else conn.send({ id, result: [[['mining.notify', 'sub-1']], extranonce1, 4], error: null });
      } else if (typeof method === 'string') conn.send({ id, result: true, error: null });
    }),
    port: 0,
    held: () => waiting.length,
    release() {
      state.hold = false;
      for (const [conn, id] of waiting) conn.send({ id, result: [[['mining.notify', 'sub-1']], extranonce1, 4], error: null });
      waiting = [];
    },
  };
  state.port = await state.pool.listen(port);
  cleanups.push(() => state.pool.close());
  return state;
}

describe('ProxyService with a primary and a backup pool', () => {
  it('relays a miner whose primary refuses to the backup in the same connection, then closes it for failback once the primary is back', async () => {
    // The primary's first probe must stay unanswered, so that the pool is not known to be down
    // when the miner arrives (the miner then tries it first): a listener that accepts and says
    // nothing, closed once the probe is in. From then on the port refuses.
    const hung = new Set<net.Socket>();
    const hungServer = net.createServer((socket) => {
      hung.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hungServer.listen(0, '127.0.0.1', resolve));
    const primaryPort = (hungServer.address() as net.AddressInfo).port;
    cleanups.push(() => {
      for (const socket of hung) socket.destroy();
      hungServer.close();
    });
    const backup = await scriptedPool('bbbb0001');
    backup.hold = true;
    const primaryName = `127.0.0.1:${primaryPort}`;
    const backupName = `127.0.0.1:${backup.port}`;

    const config = loadConfig({
      argv: [],
      env: {
        POOLS: `stratum+tcp://${primaryName},stratum+tcp://${backupName}`,
        POOL_PROBE_INTERVAL_MS: '100',
        FAILBACK_DELAY_MS: '200',
        PROXY_HOST: '127.0.0.1',
        PROXY_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: '0',
        DRAIN_TIMEOUT_MS: '200',
      },
    });
    const logs = capture();
    const svc = new ProxyService({ config, logger: createLogger({ level: 'info', format: 'json', destination: logs }), openFilesLimit: null });
    const addresses = await svc.start();
    cleanups.push(async () => {
      await svc.shutdown('test');
    });
    const base = `http://127.0.0.1:${addresses.metrics?.port}`;
    const scrape = async (): Promise<Exposition> => parseExposition(await (await fetch(`${base}/metrics`)).text());

    await eventually(() => hung.size === 1 && backup.held() === 1, 'both first probes to be waiting for an answer');
    hungServer.close();
    let exp = await scrape();
    expect(seriesOf(exp, 'stratum_pool_up')).toEqual({ [`pool_host=${primaryName}`]: 0, [`pool_host=${backupName}`]: 0 });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);

    // The miner: the primary refuses, the backup takes the connection and answers.
    const miner = await ScriptedMiner.connect(addresses.proxy.port);
    cleanups.push(() => miner.destroy());
    let minerClosed = false;
    const closed = new Promise<void>((resolve) =>
      miner.socket.once('close', () => {
        minerClosed = true;
        resolve();
      }),
    );
    miner.send({ id: 1, method: 'mining.subscribe', params: ['test-miner/1.0'] });
    await eventually(() => backup.held() === 2, "the miner's subscribe to reach the backup");
    backup.release();
    const subscribed = await miner.waitFor((m) => m['id'] === 1);
    expect(subscribed).toMatchObject({ result: [[['mining.notify', 'sub-1']], 'bbbb0001', 4], error: null });
    expect(await miner.request(2, 'mining.authorize', ['rig1', 'x'])).toMatchObject({ result: true });
    expect(minerClosed).toBe(false);

    exp = await scrape();
    expect(seriesOf(exp, 'stratum_pool_failovers_total')).toEqual({ [`pool_host=${primaryName}`]: 1, [`pool_host=${backupName}`]: 0 });
    expect(seriesOf(exp, 'stratum_upstream_connect_failures_total')).toEqual({ [`pool_host=${primaryName},reason=refused`]: 1 });
    expect(seriesOf(exp, 'stratum_pool_miners')).toEqual({ [`pool_host=${primaryName}`]: 0, [`pool_host=${backupName}`]: 1 });
    expect(seriesOf(exp, 'stratum_pool_up')).toEqual({ [`pool_host=${primaryName}`]: 0, [`pool_host=${backupName}`]: 1 });
    expect(sampleValue(exp, 'stratum_connections_total', { pool_host: backupName })).toBe(1);
    expect(sampleValue(exp, 'stratum_connections_total', { pool_host: primaryName })).toBe(0);
    expect(sampleValue(exp, 'stratum_active_connections', { pool_host: backupName })).toBe(1);
    expect(sampleValue(exp, 'stratum_messages_total', { direction: 'miner_to_pool', method: 'mining.subscribe' })).toBe(1);
    expect(sampleValue(exp, 'stratum_failbacks_total')).toBe(0);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(logs.json()).toContainEqual(expect.objectContaining({ msg: 'cannot use pool: trying the next one', pool: primaryName, failover: true }));
    expect(logs.json()).toContainEqual(expect.objectContaining({ msg: 'connected to pool after failover', pool: backupName, attempt: 1 }));

    // The primary comes back on its port: once it has been up for FAILBACK_DELAY_MS the miner is
    // closed. The hung probe is reset first: an RST fails it at once (after a FIN alone the prober's
    // half-open socket waits for its timeout).
    for (const socket of hung) socket.resetAndDestroy();
    await scriptedPool('aaaa0001', primaryPort);
    await closed;
    // The miner is closed at once; the connection ends once the pool's in-flight answers had
    // their chance (a short linger after the pool socket's FIN).
    await eventually(async () => sampleValue(await scrape(), 'stratum_failbacks_total') === 1, 'the failback to be counted');
    exp = await scrape();
    expect(sampleValue(exp, 'stratum_failbacks_total')).toBe(1);
    expect(seriesOf(exp, 'stratum_connection_closes_total')).toEqual({ 'reason=failback,side=proxy': 1 });
    expect(seriesOf(exp, 'stratum_pool_up')).toEqual({ [`pool_host=${primaryName}`]: 1, [`pool_host=${backupName}`]: 1 });
    expect(sampleValue(exp, 'stratum_pool_miners', { pool_host: backupName })).toBe(0);
    expect(logs.json()).toContainEqual(
      expect.objectContaining({ msg: 'connection closed to move the miner back to a higher-priority pool', worker: 'rig1', pool: backupName, reason: 'failback' }),
    );

    // Reconnecting, as a miner does, it lands on the primary.
    const again = await ScriptedMiner.connect(addresses.proxy.port);
    cleanups.push(() => again.destroy());
    expect(await again.request(1, 'mining.subscribe', ['test-miner/1.0'])).toMatchObject({ result: [[['mining.notify', 'sub-1']], 'aaaa0001', 4] });
    await eventually(async () => sampleValue(await scrape(), 'stratum_pool_miners', { pool_host: primaryName }) === 1, 'the miner on the primary');
  });
});
