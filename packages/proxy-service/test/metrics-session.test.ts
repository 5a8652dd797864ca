/**
 * End to end: a scripted miner and a scripted pool talk through a real ProxyServer; every metric
 * on /metrics must equal what the script did, exactly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { ProxyServer } from '@stratum-relay/proxy-core';
import { isKnownMethod } from '@stratum-relay/shared-types';
import { evaluateShare, parseNotifyParams } from '@stratum-relay/work';
import { startObservability } from '../src/observability';
import type { Observability } from '../src/observability';
import { mainnetBlockJobs } from './helpers/metrics-block-job';
import { countedSeriesOf, parseExposition, sampleValue, seriesOf, sumSamples } from './helpers/metrics-exposition';
import type { Exposition } from './helpers/metrics-exposition';
import { silentLogger, testConfig } from './helpers/metrics-observability-fixture';
import { ScriptedMiner, ScriptedPool, eventually } from './helpers/metrics-scripted-peers';
import type { ScriptedPoolConnection } from './helpers/metrics-scripted-peers';

const genesis = mainnetBlockJobs('g1')[0];
if (genesis === undefined) throw new Error('no genesis block in the fixture');
const genesisJob = parseNotifyParams(genesis.notifyParams);
if (genesisJob === null) throw new Error('genesis job did not parse');
const genesisShareDifficulty = evaluateShare(genesisJob, {
  extranonce1: genesis.extranonce1,
  extranonce2: genesis.extranonce2,
  ntime: genesis.ntime,
  nonce: genesis.nonce,
}).difficulty;

type Answer = { result: unknown; error: unknown } | 'silent' | ((conn: ScriptedPoolConnection, id: unknown) => void);
type Reason = 'stale' | 'duplicate' | 'low_difficulty' | 'unauthorized' | 'not_subscribed' | 'other';

interface Submit {
  id: number | string;
  nonce: 'real' | 'wrong';
  jobId?: string;
  answer: Answer;
  /** What the collector must conclude. */
  expect: 'accepted' | Reason | 'timeout';
}

const ok = { result: true, error: null };
const err = (error: unknown, result: unknown = null): Answer => ({ result, error });

/** The session's submits, in order. Difficulty 2 is in force until the marked one. */
const SUBMITS: Submit[] = [
  { id: 4, nonce: 'real', answer: ok, expect: 'accepted' },
  { id: 4, nonce: 'wrong', answer: ok, expect: 'accepted' },
  { id: 4, nonce: 'real', answer: err([21, 'Job not found', null]), expect: 'stale' },
  { id: 4, nonce: 'wrong', answer: err([22, 'Duplicate share', null]), expect: 'duplicate' },
  { id: 4, nonce: 'wrong', answer: err([23, 'Low difficulty share', null]), expect: 'low_difficulty' },
  { id: 4, nonce: 'wrong', answer: err([24, 'Unauthorized worker', null]), expect: 'unauthorized' },
  { id: 4, nonce: 'wrong', answer: err([25, 'Not subscribed', null]), expect: 'not_subscribed' },
  { id: 4, nonce: 'wrong', answer: err([20, 'Other/Unknown', null]), expect: 'other' },
  { id: 's-1', nonce: 'wrong', answer: err('Stale share', false), expect: 'stale' },
  { id: 's-2', nonce: 'wrong', answer: err({ code: -1, message: 'duplicate' }), expect: 'duplicate' },
  { id: 's-3', nonce: 'wrong', answer: err([-1, 'high-hash', null]), expect: 'low_difficulty' },
  { id: 's-4', nonce: 'wrong', answer: err([null, 'Not authorized', null]), expect: 'unauthorized' },
  { id: 's-5', nonce: 'wrong', answer: err('not subscribed'), expect: 'not_subscribed' },
  { id: 's-6', nonce: 'wrong', answer: err(null, false), expect: 'other' },
  { id: 30, nonce: 'real', jobId: 'gone', answer: err([21, 'Job not found', null]), expect: 'stale' },
  // Unknown ids around a real answer: both count as unmatched.
  {
    id: 31,
    nonce: 'real',
    answer: (conn, id) => conn.sendRaw(`{"id":999,"result":true,"error":null}\n{"id":null,"result":null,"error":[20,"bad",null]}\n${JSON.stringify({ id, result: true, error: null })}\n`),
    expect: 'accepted',
  },
  // Difficulty changes to 8 before the answer: this share still counts at 2.
  {
    id: 32,
    nonce: 'real',
    answer: (conn, id) => conn.sendRaw(`{"id":null,"method":"mining.set_difficulty","params":[8]}\n${JSON.stringify({ id, result: true, error: null })}\n`),
    expect: 'accepted',
  },
  { id: 33, nonce: 'real', answer: ok, expect: 'accepted' },
  { id: 34, nonce: 'wrong', answer: 'silent', expect: 'timeout' },
];

const DIFFICULTY_AFTER = 32; // id of the submit after whose answer difficulty is 8

function expectedVerdict(s: Submit): string | null {
  if (s.expect === 'timeout') return null;
  if (s.jobId !== undefined) return 'unknown_job';
  return `${s.nonce === 'real' ? 'valid' : 'invalid'}_${s.expect === 'accepted' ? 'accepted' : 'rejected'}`;
}

describe('metrics of a scripted session through a real ProxyServer', () => {
  let pool: ScriptedPool;
  let proxy: ProxyServer;
  let obs: Observability;
  let miner: ScriptedMiner;
  let base: string;
  let exp: Exposition;
  let text: string;
  const plan: Answer[] = [];
  /** The pool's name, `host:port` (the POOL_HOST/POOL_PORT shortcut names it so): every pool_host label. */
  let poolName = '';
  let W: Record<string, string> = {};
  let U: Record<string, string> = {};

  const scrape = async (): Promise<Exposition> => {
    text = await (await fetch(`${base}/metrics`)).text();
    return parseExposition(text);
  };

  beforeAll(async () => {
    pool = new ScriptedPool((msg, conn) => {
      const { id, method } = msg;
      if (method === 'mining.subscribe') {
        // One write: the subscribe answer, the difficulty and the job arrive together.
        conn.sendRaw(
          [
            { id, result: [[['mining.set_difficulty', 'd1'], ['mining.notify', 'n1']], genesis.extranonce1, genesis.extranonce2.length / 2], error: null },
            { id: null, method: 'mining.set_difficulty', params: [2] },
            { id: null, method: 'mining.notify', params: genesis.notifyParams },
          ]
            .map((m) => JSON.stringify(m) + '\n')
            .join(''),
        );
      } else if (method === 'mining.authorize') {
        conn.send({ id, result: true, error: null });
        conn.send({ id: 'gv-1', method: 'client.get_version', params: [] });
      } else if (method === 'mining.submit') {
        const answer = plan.shift();
        if (answer === undefined || answer === 'silent') return;
        if (typeof answer === 'function') answer(conn, id);
        else conn.send({ id, ...answer });
      }
    });
    const poolPort = await pool.listen();
    proxy = new ProxyServer({
      listenHost: '127.0.0.1',
      listenPort: 0,
      poolHost: '127.0.0.1',
      poolPort,
      maxConnections: 10,
      idleTimeoutMs: 0,
      upstreamConnectTimeoutMs: 5000,
      maxLineBytes: 4096,
      preConnectBufferBytes: 64 * 1024,
    });
    const { port: proxyPort } = await proxy.listen();
    poolName = `127.0.0.1:${poolPort}`;
    W = { client_id: 'rig1', pool_host: poolName };
    U = { client_id: 'unknown', pool_host: poolName };
    obs = await startObservability({
      config: testConfig({ POOL_PORT: String(poolPort), SUBMIT_TIMEOUT_MS: '300', MAX_LINE_BYTES: '4096' }),
      server: proxy,
      logger: silentLogger,
      version: 'test',
      collectDefaultMetrics: true,
    });
    base = `http://127.0.0.1:${obs.httpAddress()?.port}`;

    miner = await ScriptedMiner.connect(proxyPort);
    miner.onPoolRequest = (m) => (m['method'] === 'client.get_version' ? 'scripted-miner/1.0' : undefined);
    await miner.request(1, 'mining.subscribe', ['scripted-miner/1.0']);
    await miner.waitFor((m) => m['method'] === 'mining.notify');
    await miner.request(2, 'mining.authorize', ['rig1', 'x']);
    miner.authorizedSeen = true;
    await miner.waitFor((m) => m['method'] === 'client.get_version');

    // Noise the relay passes through untouched: a non-JSON line, an oversized line, a null-id notification.
    miner.sendRaw('this is not json\n');
    miner.sendRaw('x'.repeat(5000) + '\n');
    miner.send({ id: null, method: 'mining.suggest_difficulty', params: [1] });

    const submit = (s: Submit): void =>
      miner.send({
        id: s.id,
        method: 'mining.submit',
        params: ['rig1', s.jobId ?? genesis.jobId, genesis.extranonce2, genesis.ntime, s.nonce === 'real' ? genesis.nonce : genesis.wrongNonce],
      });
    const answersTo = (id: unknown): number => miner.received.filter((m) => m['id'] === id && !('method' in m)).length;

    // Two submits with id 4 in flight at once: answered in order.
    const [first, second, ...rest] = SUBMITS as [Submit, Submit, ...Submit[]];
    plan.push(first.answer, second.answer);
    submit(first);
    submit(second);
    await eventually(() => answersTo(4) === 2, 'two answers to id 4');
    for (const s of rest) {
      plan.push(s.answer);
      if (s.expect === 'timeout') {
        submit(s);
        continue;
      }
      const before = answersTo(s.id);
      submit(s);
      await eventually(() => answersTo(s.id) > before, `answer to ${String(s.id)}`);
    }
    await eventually(async () => sampleValue(await scrape(), 'stratum_submit_timeouts_total', W) === 1, 'the submit timeout');
    await miner.end();
    await eventually(() => proxy.connectionCount === 0, 'the connection to close');
    exp = await scrape();
  });

  afterAll(async () => {
    miner?.destroy();
    await obs?.close();
    await proxy?.close();
    await pool?.close();
  });


  it('counts submits, accepts, rejects by reason, timeouts and accepted difficulty exactly', () => {
    expect(sampleValue(exp, 'stratum_submits_total', W)).toBe(SUBMITS.length);
    expect(sampleValue(exp, 'stratum_accepted_shares_total', W)).toBe(SUBMITS.filter((s) => s.expect === 'accepted').length);
    const rejects: Record<string, number> = {};
    for (const s of SUBMITS) {
      if (s.expect === 'accepted' || s.expect === 'timeout') continue;
      const key = `client_id=rig1,pool_host=${poolName},reason=${s.expect}`;
      rejects[key] = (rejects[key] ?? 0) + 1;
    }
    expect(countedSeriesOf(exp, 'stratum_rejected_shares_total')).toEqual(rejects);
    expect(sampleValue(exp, 'stratum_submit_timeouts_total', W)).toBe(1);
    // The silent submit was still held when the miner left: lost. No answer came late.
    expect(sampleValue(exp, 'stratum_submits_lost_total', W)).toBe(1);
    expect(sampleValue(exp, 'stratum_late_answers_total', W)).toBe(0);
    expect(sumSamples(exp, 'stratum_submits_lost_total')).toBe(1);
    let difficulty = 2;
    let credited = 0;
    for (const s of SUBMITS) {
      if (s.expect === 'accepted') credited += difficulty;
      if (s.id === DIFFICULTY_AFTER) difficulty = 8;
    }
    expect(sampleValue(exp, 'stratum_accepted_difficulty_total', W)).toBe(credited);
    expect(sampleValue(exp, 'stratum_current_difficulty', W)).toBe(8);
  });

  it('counts unmatched answers, request latencies and pending requests exactly', () => {
    expect(seriesOf(exp, 'stratum_unmatched_responses_total')).toEqual({ 'direction=miner_to_pool': 0, 'direction=pool_to_miner': 2 });
    const answered = SUBMITS.filter((s) => s.expect !== 'timeout').length;
    expect(sampleValue(exp, 'stratum_request_response_seconds_count', { method: 'mining.submit' })).toBe(answered);
    expect(sampleValue(exp, 'stratum_request_response_seconds_count', { method: 'mining.subscribe' })).toBe(1);
    expect(sampleValue(exp, 'stratum_request_response_seconds_count', { method: 'mining.authorize' })).toBe(1);
    expect(sampleValue(exp, 'stratum_request_response_seconds_bucket', { method: 'mining.submit', le: '+Inf' })).toBe(answered);
    expect(sampleValue(exp, 'stratum_pending_requests')).toBe(0);
  });

  it('audits every answered share against its own hash of the real genesis block', () => {
    const verdicts: Record<string, number> = {};
    for (const s of SUBMITS) {
      const v = expectedVerdict(s);
      if (v !== null) verdicts[`verdict=${v}`] = (verdicts[`verdict=${v}`] ?? 0) + 1;
    }
    const got = Object.fromEntries(Object.entries(seriesOf(exp, 'stratum_share_audit_total')).filter(([, v]) => v !== 0));
    expect(got).toEqual(verdicts);
    const hashed = SUBMITS.filter((s) => s.jobId === undefined);
    expect(sampleValue(exp, 'stratum_share_difficulty_count')).toBe(hashed.length);
    expect(sampleValue(exp, 'stratum_block_candidates_total', W)).toBe(hashed.filter((s) => s.nonce === 'real').length);
    expect(sampleValue(exp, 'stratum_best_share_difficulty', W)).toBe(genesisShareDifficulty);
  });

  it('counts every message each way by method, plus parse errors and oversized lines', () => {
    const expected: Record<string, number> = {};
    const add = (direction: string, written: Map<string, number>): void => {
      for (const [method, n] of written) {
        if (method === 'invalid') continue;
        const label = method === 'response' ? 'response' : isKnownMethod(method) ? method : 'other';
        const key = `direction=${direction},method=${label}`;
        expected[key] = (expected[key] ?? 0) + n;
      }
    };
    add('miner_to_pool', miner.written.messages);
    add('pool_to_miner', pool.connections[0]?.written.messages ?? new Map());
    const got = Object.fromEntries(Object.entries(seriesOf(exp, 'stratum_messages_total')).filter(([, v]) => v !== 0));
    expect(got).toEqual(expected);
    expect(seriesOf(exp, 'stratum_parse_errors_total')).toEqual({ 'direction=miner_to_pool': 1, 'direction=pool_to_miner': 0 });
    expect(seriesOf(exp, 'stratum_oversized_lines_total')).toEqual({ 'direction=miner_to_pool': 1, 'direction=pool_to_miner': 0 });
    expect(seriesOf(exp, 'stratum_jobs_total')).toEqual({ 'clean=true': 1 });
  });

  it('counts exactly the bytes written each way, "unknown" before authorize and the worker after', () => {
    const conn = pool.connections[0];
    if (conn === undefined) throw new Error('the pool saw no connection');
    expect(sampleValue(exp, 'stratum_bytes_sent_total', U)).toBe(miner.bytesBeforeAuthorized);
    expect(sampleValue(exp, 'stratum_bytes_sent_total', W)).toBe(miner.written.bytes - miner.bytesBeforeAuthorized);
    expect(sampleValue(exp, 'stratum_bytes_received_total', U)).toBe(conn.bytesBeforeAuthorize);
    expect(sampleValue(exp, 'stratum_bytes_received_total', W)).toBe(conn.written.bytes - conn.bytesBeforeAuthorize);
  });

  it('records the connection, its upstream connect and its close, under the pool name', () => {
    const host = { pool_host: poolName };
    expect(seriesOf(exp, 'stratum_connections_total')).toEqual({ [`pool_host=${poolName}`]: 1 });
    expect(seriesOf(exp, 'stratum_active_connections')).toEqual({ [`pool_host=${poolName}`]: 0, 'pool_host=none': 0 });
    expect(seriesOf(exp, 'stratum_pool_up')).toEqual({ [`pool_host=${poolName}`]: 1 });
    expect(seriesOf(exp, 'stratum_pool_priority')).toEqual({ [`pool_host=${poolName}`]: 0 });
    expect(seriesOf(exp, 'stratum_pool_miners')).toEqual({ [`pool_host=${poolName}`]: 0 });
    expect(seriesOf(exp, 'stratum_pool_failovers_total')).toEqual({ [`pool_host=${poolName}`]: 0 });
    expect(sampleValue(exp, 'stratum_failbacks_total')).toBe(0);
    expect(seriesOf(exp, 'stratum_upstream_connect_failures_total')).toEqual({});
    expect(sampleValue(exp, 'stratum_connect_latency_seconds_count', host)).toBe(1);
    expect(sampleValue(exp, 'stratum_connection_duration_seconds_count', host)).toBe(1);
    expect(seriesOf(exp, 'stratum_connection_closes_total')).toEqual({ 'reason=end,side=miner': 1 });
    expect(sampleValue(exp, 'stratum_max_connections')).toBe(testConfig().maxConnections);
    // No series of this session carries the bare host: every pool_host is the pool's name or "none".
    const hosts = new Set(exp.samples.flatMap((s) => (s.labels['pool_host'] === undefined ? [] : [s.labels['pool_host']])));
    expect([...hosts].sort()).toEqual(['none', poolName].sort());
  });

  it('passes `promtool check metrics` on the real /metrics output of the session', () => {
    const which = spawnSync('which', ['promtool'], { encoding: 'utf8' });
    if (which.status !== 0) {
      throw new Error('promtool is not installed: install the Debian package "prometheus" (apt-get install prometheus) to run this check');
    }
    expect(text).toContain('stratum_submits_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });
});
