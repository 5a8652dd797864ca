/**
 * A miner's connection moves from one ProxyServer to another (an old and a new worker, in one
 * process, without IPC) while its submits are in flight; each server has its own collector on
 * its own Registry. The pool answers after the move: every share must be counted once, by the
 * collector that saw the answer, and the two collectors together must tell the truth.
 */
import { Registry } from 'prom-client';
import { createMetrics } from '@stratum-relay/metrics';
import * as net from 'node:net';
import { ProxyServer } from '@stratum-relay/proxy-core';
import type { ConnectionExport, UpstreamConnector } from '@stratum-relay/proxy-core';
import { MetricsCollector } from '../src/metrics-collector';
import type { CollectorConnectionExport } from '../src/connection-state';
import { mainnetBlockJobs } from './helpers/metrics-block-job';
import { parseExposition, sampleValue, sumSamples } from './helpers/metrics-exposition';
import type { Exposition } from './helpers/metrics-exposition';
import { ScriptedMiner, ScriptedPool, eventually } from './helpers/metrics-scripted-peers';
import type { ScriptedPoolConnection } from './helpers/metrics-scripted-peers';

const genesis = mainnetBlockJobs('g1')[0];
if (genesis === undefined) throw new Error('no genesis block in the fixture');

const SUBMIT_TIMEOUT_MS = 1_000;

interface Side {
  readonly proxy: ProxyServer;
  readonly collector: MetricsCollector;
  readonly port: number;
  scrape(): Promise<Exposition>;
}

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function startSide(poolPort: number, connect?: UpstreamConnector): Promise<Side> {
  const registry = new Registry();
  const metrics = createMetrics(registry, { collectDefault: false });
  const proxy = new ProxyServer({
    listenHost: '127.0.0.1',
    listenPort: 0,
    poolHost: '127.0.0.1',
    poolPort,
    maxConnections: 10,
    idleTimeoutMs: 0,
    upstreamConnectTimeoutMs: 5_000,
    maxLineBytes: 64 * 1024,
    preConnectBufferBytes: 64 * 1024,
    ...(connect !== undefined ? { connect } : {}),
  });
  const collector = new MetricsCollector({ metrics, maxClientIds: 100, submitTimeoutMs: SUBMIT_TIMEOUT_MS, sweepIntervalMs: 20, shareAudit: true });
  collector.attach(proxy.events);
  const { port } = await proxy.listen();
  closers.push(() => proxy.close(), () => collector.detach());
  return { proxy, collector, port, scrape: async () => parseExposition(await registry.metrics()) };
}

/** exportConnections, then each connection's collector state, through JSON as over IPC, imported before the adopt. */
async function moveAll(from: Side, to: Side): Promise<Array<{ state: ConnectionExport; collected: CollectorConnectionExport }>> {
  const result = await from.proxy.exportConnections();
  expect(result.kept).toEqual([]);
  const moved: Array<{ state: ConnectionExport; collected: CollectorConnectionExport }> = [];
  for (const { state, miner, pool } of result.handedOver) {
    const collected = from.collector.exportConnection(state.connectionId);
    if (collected === null) throw new Error(`no collector state for connection ${state.connectionId}`);
    const wire = JSON.parse(JSON.stringify({ state, collected })) as { state: ConnectionExport; collected: CollectorConnectionExport };
    expect(to.collector.importConnection(wire.collected)).toBe(true);
    to.proxy.adoptConnection(wire.state, miner, pool);
    moved.push(wire);
  }
  return moved;
}

describe('collector across a handover', () => {
  it('counts each in-flight submit once, in the collector that sees its answer; worker, difficulty, jobs and timeouts move with it', async () => {
    let upstream: ScriptedPoolConnection | null = null;
    const submitsAtPool: unknown[] = [];
    const pool = new ScriptedPool((msg, conn) => {
      upstream = conn;
      const { id, method } = msg;
      if (method === 'mining.subscribe') {
        conn.sendRaw(
          [
            { id, result: [[['mining.notify', 'n1']], genesis.extranonce1, genesis.extranonce2.length / 2], error: null },
            { id: null, method: 'mining.set_difficulty', params: [2] },
            { id: null, method: 'mining.notify', params: genesis.notifyParams },
          ]
            .map((m) => JSON.stringify(m) + '\n')
            .join(''),
        );
      } else if (method === 'mining.authorize') conn.send({ id, result: true, error: null });
      else if (method === 'mining.submit') submitsAtPool.push(id); // answered by the test, when it says
    });
    const poolPort = await pool.listen();
    closers.push(() => pool.close());
    const a = await startSide(poolPort);
    const b = await startSide(poolPort);
    const poolName = `127.0.0.1:${poolPort}`;
    const W = { client_id: 'rig.1', pool_host: poolName };

    const miner = await ScriptedMiner.connect(a.port);
    closers.push(() => miner.destroy());
    await miner.request(1, 'mining.subscribe', ['handover-test/1.0']);
    await miner.request(2, 'mining.authorize', ['rig.1', 'x']);
    await miner.waitFor((m) => m['method'] === 'mining.notify');
    const submit = (id: number, nonce: 'real' | 'wrong'): void =>
      miner.send({ id, method: 'mining.submit', params: ['rig.1', 'g1', genesis.extranonce2, genesis.ntime, nonce === 'real' ? genesis.nonce : genesis.wrongNonce] });
    const answer = (id: number, result: unknown, error: unknown = null): void => (upstream as ScriptedPoolConnection | null)?.send({ id, result, error });

    // id 12 times out here, before the move; 10, 11 and 11 again (FIFO per id) and 13 are in flight at the move.
    submit(12, 'wrong');
    await eventually(async () => sumSamples(await a.scrape(), 'stratum_submit_timeouts_total') === 1, 'the first submit to time out on A', 5_000);
    submit(10, 'real');
    submit(11, 'wrong');
    submit(11, 'real');
    submit(13, 'real');
    await eventually(() => submitsAtPool.length === 5, 'five submits at the pool');

    const [moved] = await moveAll(a, b);
    expect(moved?.collected).toMatchObject({ worker: 'rig.1', authorized: true, difficulty: 2, pool: poolName, counted: true, submits: 5 });
    expect(moved?.collected.minerRequests.map((r) => [r.id, r.timedOut])).toEqual([
      [12, true],
      [10, false],
      [11, false],
      [11, false],
      [13, false],
    ]);
    expect(moved?.collected.jobs?.map((j) => j.jobId)).toEqual(['g1']);

    let ea = await a.scrape();
    let eb = await b.scrape();
    // Left A without closing: no close, no lost submit, no longer active or pending there.
    expect(sumSamples(ea, 'stratum_connection_closes_total')).toBe(0);
    expect(sumSamples(ea, 'stratum_submits_lost_total')).toBe(0);
    expect(sumSamples(ea, 'stratum_active_connections')).toBe(0);
    expect(sumSamples(ea, 'stratum_pending_requests')).toBe(0);
    expect(sumSamples(eb, 'stratum_active_connections')).toBe(1);
    expect(sumSamples(eb, 'stratum_pending_requests')).toBe(4);
    expect(sampleValue(eb, 'stratum_current_difficulty', W)).toBe(2);
    expect(b.collector.connectionStatuses()).toEqual([expect.objectContaining({ worker: 'rig.1', pool: poolName, currentDifficulty: 2, submits: 5 })]);

    // The answers come after the move, 11's in the order the pool judged them.
    answer(12, true);
    answer(10, true);
    answer(11, null, [23, 'Low difficulty share', null]);
    answer(11, true);
    // A submit after the move, against the job that moved with the connection.
    submit(14, 'real');
    await eventually(() => submitsAtPool.length === 6, 'the sixth submit at the pool');
    answer(14, true);
    // 13 times out on B (timeouts still run after the move), then its answer comes late.
    await eventually(async () => sumSamples(await b.scrape(), 'stratum_submit_timeouts_total') === 1, 'the in-flight submit to time out on B', 5_000);
    answer(13, true);
    await eventually(async () => sumSamples(await b.scrape(), 'stratum_late_answers_total') === 2, 'both late answers on B');

    ea = await a.scrape();
    eb = await b.scrape();
    const both = (name: string, labels: Record<string, string> = {}): [number, number] => [sumSamples(ea, name, labels), sumSamples(eb, name, labels)];
    expect(both('stratum_submits_total', W)).toEqual([5, 1]);
    expect(both('stratum_accepted_shares_total', W)).toEqual([0, 5]);
    expect(both('stratum_rejected_shares_total', W)).toEqual([0, 1]);
    expect(sampleValue(eb, 'stratum_rejected_shares_total', { ...W, reason: 'low_difficulty' })).toBe(1);
    expect(both('stratum_accepted_difficulty_total', W)).toEqual([0, 10]);
    expect(both('stratum_submit_timeouts_total', W)).toEqual([1, 1]);
    expect(both('stratum_late_answers_total', W)).toEqual([0, 2]);
    expect(both('stratum_submits_lost_total')).toEqual([0, 0]);
    expect(both('stratum_unmatched_responses_total')).toEqual([0, 0]);
    expect(both('stratum_connections_total', { pool_host: poolName })).toEqual([1, 0]);
    // The audit judged 10, 11, 12 and 13 on A when they were submitted and B counts the verdicts
    // with the answers; 14 is judged on B against the moved job (unknown_job if it had not moved).
    expect(sampleValue(eb, 'stratum_share_audit_total', { verdict: 'valid_accepted' })).toBe(4);
    expect(sampleValue(eb, 'stratum_share_audit_total', { verdict: 'invalid_accepted' })).toBe(1);
    expect(sampleValue(eb, 'stratum_share_audit_total', { verdict: 'invalid_rejected' })).toBe(1);
    expect(sumSamples(eb, 'stratum_share_audit_total', { verdict: 'unknown_job' })).toBe(0);
    expect(sumSamples(ea, 'stratum_share_audit_total')).toBe(0);
    expect(b.collector.connectionStatuses()).toEqual([expect.objectContaining({ submits: 6, accepted: 5, rejected: 1 })]);
    expect(a.collector.internalErrors + b.collector.internalErrors).toBe(0);

    // The connection closes on B, once, with nothing lost.
    await miner.end();
    await eventually(async () => sumSamples(await b.scrape(), 'stratum_connection_closes_total') === 1, 'the close on B');
    eb = await b.scrape();
    expect(sumSamples(eb, 'stratum_submits_lost_total')).toBe(0);
    expect(sumSamples(eb, 'stratum_active_connections')).toBe(0);
    expect(b.collector.stateSize()).toEqual({ connections: 0, pending: 0 });
    expect(a.collector.stateSize()).toEqual({ connections: 0, pending: 0 });
  });

  it('counts an answer the old server read but had not relayed once, on the new server, which relays it first', async () => {
    let upstream: ScriptedPoolConnection | null = null;
    const pool = new ScriptedPool((msg, conn) => {
      upstream = conn;
      if (msg['method'] === 'mining.authorize') conn.send({ id: msg['id'], result: true, error: null });
    });
    const poolPort = await pool.listen();
    closers.push(() => pool.close());
    let relayToPool: net.Socket | null = null;
    const a = await startSide(poolPort, (options) => (relayToPool = net.connect(options)));
    const b = await startSide(poolPort);
    const W = { client_id: 'rig.1', pool_host: `127.0.0.1:${poolPort}` };

    const miner = await ScriptedMiner.connect(a.port);
    closers.push(() => miner.destroy());
    await miner.request(2, 'mining.authorize', ['rig.1', 'x']);
    miner.send({ id: 7, method: 'mining.submit', params: ['rig.1', 'j', '00000000', '5f5e1000', '00000000'] });
    await eventually(async () => sumSamples(await a.scrape(), 'stratum_pending_requests') === 1, 'the submit pending on A');
    // The relay's pool socket stops emitting, as under backpressure: the answer is read, not relayed.
    const held = relayToPool as unknown as net.Socket;
    held.pause();
    (upstream as ScriptedPoolConnection | null)?.send({ id: 7, result: true, error: null });
    await eventually(() => held.readableLength > 0, 'the answer in the old server, unrelayed');

    const [moved] = await moveAll(a, b);
    expect(Buffer.from(moved?.state.unrelayedToMiner ?? '', 'base64').toString()).toBe('{"id":7,"result":true,"error":null}\n');
    await miner.waitFor((m) => m['id'] === 7 && m['result'] === true);
    const [ea, eb] = [await a.scrape(), await b.scrape()];
    expect([sumSamples(ea, 'stratum_submits_total', W), sumSamples(eb, 'stratum_submits_total', W)]).toEqual([1, 0]);
    expect([sumSamples(ea, 'stratum_accepted_shares_total', W), sumSamples(eb, 'stratum_accepted_shares_total', W)]).toEqual([0, 1]);
    expect(sumSamples(eb, 'stratum_unmatched_responses_total') + sumSamples(ea, 'stratum_unmatched_responses_total')).toBe(0);
    expect(sumSamples(eb, 'stratum_pending_requests')).toBe(0);
  });
});
