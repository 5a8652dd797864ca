/**
 * The tracing spans built from the event bus and the collector's settled shares, on the real
 * OpenTelemetry SDK with an in-memory exporter: names, attributes, parent links and durations
 * of a scripted session, what an unsampled connection keeps (nothing), and no password ever.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { createMetrics } from '@stratum-relay/metrics';
import { Registry } from 'prom-client';
import { MetricsCollector } from '../src/metrics-collector';
import { combineSinks } from '../src/tracing/combine-sinks';
import { ConnectionSpans, SPAN_CONNECTION, SPAN_SUBMIT, SPAN_UPSTREAM_CONNECT } from '../src/tracing/connection-spans';
import { mainnetBlockJobs } from './helpers/metrics-block-job';
import { EventScript, POOL } from './helpers/metrics-events';

const BACKUP = 'backup.test:3333';
const PASSWORD = 'hunter2-s3cret';

function setup(sampler: Sampler = new AlwaysOnSampler()) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const spans = new ConnectionSpans(provider.getTracer('test'));
  let script: EventScript | null = null;
  const collector = new MetricsCollector({
    metrics: createMetrics(new Registry(), { collectDefault: false }),
    maxClientIds: 100,
    submitTimeoutMs: 30_000,
    shareAudit: true,
    journal: spans.shares,
    now: () => (script as EventScript).t,
    wallNow: () => (script as EventScript).wall,
  });
  // The order the service subscribes them in: the collector first, then the spans.
  script = new EventScript((e) => {
    collector.handle(e);
    spans.handle(e);
  });
  const finished = (): ReadableSpan[] => exporter.getFinishedSpans();
  const byName = (name: string): ReadableSpan[] => finished().filter((s) => s.name === name);
  return { spans, collector, script, finished, byName, provider };
}

const durationMs = (s: ReadableSpan): number => s.duration[0] * 1000 + s.duration[1] / 1e6;
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

describe('tracing spans from the event bus', () => {
  it('traces a miner session: the connection, its upstream connect with the failover, and each submit with result, reason and audit verdict', () => {
    const { script: s, spans, byName, finished } = setup();
    const job = mainnetBlockJobs('blk-1')[0];
    if (job === undefined) throw new Error('no mainnet block fixture');

    s.open(7, '10.1.2.3', 51000);
    s.advance(10);
    // The primary refuses; the connection fails over to the backup.
    s.upstreamFailed(7, 'refused', { failover: true });
    s.advance(5);
    s.upstreamConnected(7, BACKUP, { attempt: 1, priority: 1, latencyMs: 4 });
    s.request(7, 1, 'mining.subscribe', ['miner/1.0']);
    s.answer(7, 1, [[['mining.notify', 'x']], job.extranonce1, job.extranonce2.length / 2]);
    s.request(7, 2, 'mining.authorize', ['rig.1', PASSWORD]);
    s.answer(7, 2, true);
    s.setDifficulty(7, 1);
    s.notify(7, 'mining.notify', job.notifyParams);
    // A valid share the pool rejects (the audit's valid_rejected), 40 ms to its answer.
    s.submit(7, 3, 'rig.1', job.jobId, job.extranonce2, job.ntime, job.nonce);
    s.advance(40);
    s.answer(7, 3, null, [23, 'Low difficulty share', null]);
    // An invalid share the pool accepts, 25 ms.
    s.submit(7, 4, 'rig.1', job.jobId, job.extranonce2, job.ntime, job.wrongNonce);
    s.advance(25);
    s.answer(7, 4, true);
    // Never answered: lost when the miner leaves.
    s.submit(7, 5, 'rig.1', 'gone-job');
    s.advance(100);
    s.close(7, 'miner', 'end', 180, BACKUP);

    expect(spans.openSpans).toBe(0);
    const [connection] = byName(SPAN_CONNECTION);
    const [upstream] = byName(SPAN_UPSTREAM_CONNECT);
    const submits = byName(SPAN_SUBMIT);
    if (connection === undefined || upstream === undefined) throw new Error(`missing spans: ${finished().map((x) => x.name).join(', ')}`);
    expect(finished()).toHaveLength(5);

    expect(connection.kind).toBe(SpanKind.SERVER);
    expect(parentOf(connection)).toBeUndefined();
    expect(connection.attributes).toEqual({
      'stratum.connection_id': 7,
      'client.address': '10.1.2.3',
      'client.port': 51000,
      'stratum.worker': 'rig.1',
      'stratum.pool': BACKUP,
      'stratum.bytes_miner_to_pool': 0,
      'stratum.bytes_pool_to_miner': 0,
      'stratum.close_side': 'miner',
      'stratum.close_reason': 'end',
    });
    expect(durationMs(connection)).toBeCloseTo(180, 3);

    // The upstream connect: a child, from the first attempt's start to the backup's answer.
    expect(parentOf(upstream)).toBe(connection.spanContext().spanId);
    expect(upstream.spanContext().traceId).toBe(connection.spanContext().traceId);
    expect(upstream.attributes).toEqual({
      'stratum.pool': BACKUP,
      'server.address': 'backup.test',
      'server.port': 3333,
      'stratum.pool_priority': 1,
      'stratum.attempt': 1,
      'stratum.failed_attempts': 1,
    });
    expect(upstream.events.map((e) => ({ name: e.name, attributes: e.attributes }))).toEqual([
      {
        name: 'pool_connect_failed',
        attributes: {
          'stratum.pool': POOL,
          'server.address': 'pool.test',
          'server.port': 3333,
          'stratum.failure_reason': 'refused',
          'error.type': 'ECONNREFUSED',
          'stratum.failover': true,
          'stratum.latency_ms': 1,
        },
      },
    ]);
    // From 1 ms before the failure (its latency) to the connect 5 ms later.
    expect(durationMs(upstream)).toBeCloseTo(6, 3);

    expect(submits.map((x) => parentOf(x))).toEqual([connection.spanContext().spanId, connection.spanContext().spanId, connection.spanContext().spanId]);
    const common = { 'stratum.connection_id': 7, 'stratum.pool': BACKUP, 'stratum.difficulty': 1, 'stratum.worker': 'rig.1' };
    expect(submits.map((x) => ({ attributes: x.attributes, status: x.status, ms: Math.round(durationMs(x)) }))).toEqual([
      {
        attributes: {
          ...common,
          'stratum.result': 'rejected',
          'stratum.job_id': 'blk-1',
          'stratum.reject_reason': 'low_difficulty',
          'stratum.audit': 'valid_rejected',
          'stratum.share_difficulty': expect.any(Number),
          // A real block's header: its hash meets the network target.
          'stratum.block_candidate': true,
        },
        status: { code: SpanStatusCode.ERROR, message: 'rejected: low_difficulty' },
        ms: 40,
      },
      {
        attributes: { ...common, 'stratum.result': 'accepted', 'stratum.job_id': 'blk-1', 'stratum.audit': 'invalid_accepted', 'stratum.share_difficulty': expect.any(Number) },
        status: { code: SpanStatusCode.UNSET },
        ms: 25,
      },
      {
        attributes: { ...common, 'stratum.result': 'lost', 'stratum.job_id': 'gone-job', 'stratum.audit': 'unknown_job' },
        status: { code: SpanStatusCode.ERROR, message: 'lost' },
        ms: expect.any(Number),
      },
    ]);
    expect(submits[0]?.attributes['stratum.share_difficulty']).toBeGreaterThan(1);
  });

  it('never puts the mining.authorize password in a span', () => {
    const { script: s, finished } = setup();
    s.openToPool(1);
    s.request(1, 1, 'mining.authorize', ['rig.2', PASSWORD]);
    s.answer(1, 1, true);
    s.submit(1, 2, PASSWORD, 'job');
    s.answer(1, 2, true);
    s.close(1);
    const everything = JSON.stringify(finished().map((x) => ({ name: x.name, attributes: x.attributes, events: x.events, status: x.status })));
    expect(finished().length).toBe(3);
    expect(everything).not.toContain(PASSWORD);
  });

  it('marks an upstream connect that ran out of pools, and the connection that got none, as errors', () => {
    const { script: s, byName } = setup();
    s.open(3);
    s.upstreamFailed(3, 'refused', { failover: true });
    s.advance(3);
    s.upstreamFailed(3, 'timeout', { pool: BACKUP, failover: false });
    s.close(3, 'proxy', 'upstream_failed', 10, null);
    const [upstream] = byName(SPAN_UPSTREAM_CONNECT);
    const [connection] = byName(SPAN_CONNECTION);
    expect(upstream?.status).toEqual({ code: SpanStatusCode.ERROR, message: `no pool could be reached (last: ${BACKUP}, timeout)` });
    expect(upstream?.attributes).toEqual({ 'stratum.failed_attempts': 2, 'error.type': 'timeout' });
    expect(upstream?.events.map((e) => e.attributes?.['stratum.failover'])).toEqual([true, false]);
    expect(connection?.status.code).toBe(SpanStatusCode.ERROR);
    expect(connection?.attributes['stratum.close_reason']).toBe('upstream_failed');
    expect(connection?.attributes['stratum.pool']).toBeUndefined();
  });

  it('ends a connect still in progress when the miner leaves, and every open span at shutdown', () => {
    const { script: s, spans, byName } = setup();
    s.open(4);
    s.upstreamFailed(4, 'refused', { failover: true });
    s.close(4, 'miner', 'reset', 5, null);
    expect(byName(SPAN_UPSTREAM_CONNECT)[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the connection closed before a pool answered' });

    // Handed to another process by an upgrade: no close here; shutdown ends it.
    s.openToPool(5);
    expect(spans.openSpans).toBe(1);
    spans.endAll('process_exit');
    expect(spans.openSpans).toBe(0);
    const five = byName(SPAN_CONNECTION).find((x) => x.attributes['stratum.connection_id'] === 5);
    expect(five?.attributes['stratum.ended_by']).toBe('process_exit');
  });

  it('starts an adopted connection (an upgrade handed it over) as a root span on its pool', () => {
    const spans = setup();
    spans.spans.handle({ type: 'connection.adopted', connectionId: 9, t: 5, remoteAddress: '10.0.0.9', remotePort: 4000, wallTime: Date.now() - 1000, poolName: POOL, bytesMinerToPool: 10, bytesPoolToMiner: 20 });
    spans.spans.handle({ type: 'connection.closed', connectionId: 9, t: 6, durationMs: 1000, bytesMinerToPool: 30, bytesPoolToMiner: 40, side: 'pool', reason: 'end', error: undefined, poolName: POOL });
    const [adopted] = spans.byName(SPAN_CONNECTION);
    expect(adopted?.attributes).toMatchObject({ 'stratum.adopted': true, 'stratum.pool': POOL, 'stratum.bytes_pool_to_miner': 40, 'client.address': '10.0.0.9' });
    expect(parentOf(adopted as ReadableSpan)).toBeUndefined();
  });

  it('keeps nothing for a connection the sampler left out, and the collector still counts it', () => {
    const { script: s, spans, collector, finished } = setup(new AlwaysOffSampler());
    s.openToPool(1);
    s.authorize(1, 1, 'rig.3');
    expect(spans.openSpans).toBe(0);
    s.submit(1, 2, 'rig.3');
    s.answer(1, 2, true);
    expect(collector.connectionStatuses().map((c) => c.accepted)).toEqual([1]);
    s.close(1);
    expect(finished()).toEqual([]);
  });
});

describe('the collector sink shared by the journal and the spans', () => {
  const rows: string[] = [];
  const journal = { share: () => rows.push('journal'), connection: () => undefined };
  it('is null without a sink, the sink itself with one, and hands each row to both with two', () => {
    const { spans } = setup();
    expect(combineSinks(null, undefined)).toBeNull();
    expect(combineSinks(null, spans.shares)).toBe(spans.shares);
    const both = combineSinks(journal, spans.shares);
    both?.share({ time: 0, worker: null, pool: 'none', jobId: null, difficulty: 1, result: 'lost', reason: null, audit: null, shareDifficulty: null, blockCandidate: false, latencyMs: null, connectionId: 1, remoteAddress: '' });
    expect(rows).toEqual(['journal']);
  });

  it('has the collector read submit params only for sampled connections, unless the journal (which reads all) is on', () => {
    const { spans, script: s } = setup();
    s.openToPool(1);
    expect(spans.shares.wantsSharesOf?.(1)).toBe(true);
    expect(spans.shares.wantsSharesOf?.(2)).toBe(false);
    expect(combineSinks(journal, spans.shares)?.wantsSharesOf).toBeUndefined();
    const off = setup(new AlwaysOffSampler());
    off.script.openToPool(1);
    expect(off.spans.shares.wantsSharesOf?.(1)).toBe(false);
  });
});
