/**
 * OpenTelemetry tracing on the built program: stratum-proxy with OTEL_EXPORTER_OTLP_ENDPOINT
 * pointing at an OTLP/HTTP receiver run by this test (it decodes the OTLP/JSON the exporter
 * sends), pool-sim behind it (with a dead primary in front: failover attempts, if any, are
 * events), miner-sim mining through it with a password that must never reach a span. Then the
 * same with WORKERS=2: each worker exports its own spans.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim, type PoolStats } from '@stratum-relay/pool-sim';
import { freePort, startOtlpReceiver, startProxyProcess, waitFor, type OtlpReceiver, type ProxyProcess, type ReceivedSpan } from '../src';

const PASSWORD = 'hunter2-otel-secret';
const SHARES = 6;
/** Spans leave in batches every 100 ms; the rest of the wait is a loaded machine. */
const OTEL_ENV = { OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'relay-under-test' };

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

async function mine(proxy: ProxyProcess, miners: number, user: string): Promise<void> {
  const farm = new MinerFarm({ url: `stratum+tcp://127.0.0.1:${proxy.proxyPort}`, miners, user, password: PASSWORD, shares: SHARES * miners, seed: 21 });
  await farm.start();
  try {
    await Promise.race([
      farm.whenDone(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`miners did not get ${SHARES * miners} answers in 30 s: ${JSON.stringify(farm.progress())}`)), 30_000).unref()),
    ]);
  } finally {
    await farm.stop();
  }
}

const connectionSpans = (r: OtlpReceiver): ReceivedSpan[] => r.spans.filter((s) => s.name === 'stratum.connection');
const childrenOf = (r: OtlpReceiver, parent: ReceivedSpan, name: string): ReceivedSpan[] =>
  r.spans.filter((s) => s.name === name && s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

describe('whole path: OpenTelemetry spans over OTLP/HTTP', () => {
  let receiver: OtlpReceiver | undefined;
  let pool: PoolSim | undefined;
  let proxy: ProxyProcess | undefined;
  let livePool = '';
  let deadPool = '';
  let truth: PoolStats | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    pool = new PoolSim({ host: '127.0.0.1', port: 0, profile: 'easy', logLevel: 'silent' });
    livePool = `127.0.0.1:${(await pool.listen()).port}`;
    deadPool = `127.0.0.1:${await freePort()}`;
    proxy = await startProxyProcess({
      pools: [`stratum+tcp://${deadPool}`, `stratum+tcp://${livePool}`],
      env: { ...OTEL_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, UPSTREAM_CONNECT_TIMEOUT_MS: '1000', DRAIN_TIMEOUT_MS: '2000' },
    });
    await mine(proxy, 1, 'otel-rig');
    truth = pool.stats();
    const r = receiver;
    await waitFor(() => connectionSpans(r).length === 1, { timeoutMs: 15_000, what: 'the connection span at the receiver', context: () => `${JSON.stringify(r.refused)}\n${proxy?.logs() ?? ''}` });
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await pool?.close();
    await receiver?.close();
  });

  it('exports one root span for the miner connection, with worker, pool, address, bytes and how it closed', () => {
    const r = receiver as OtlpReceiver;
    const [connection] = connectionSpans(r);
    expect(connection?.parentSpanId).toBe('');
    expect(connection?.kind).toBe(SPAN_KIND_SERVER);
    expect(connection?.attributes).toMatchObject({
      'stratum.worker': 'otel-rig.1',
      'stratum.pool': livePool,
      'client.address': '127.0.0.1',
      'stratum.close_side': 'miner',
      'stratum.close_reason': 'end',
    });
    expect(connection?.attributes['stratum.bytes_miner_to_pool']).toBeGreaterThan(0);
    expect(connection?.attributes['stratum.bytes_pool_to_miner']).toBeGreaterThan(0);
    expect((connection?.endMs ?? 0) - (connection?.startMs ?? 0)).toBeGreaterThan(0);
    expect(connection?.resource).toMatchObject({ 'service.name': 'relay-under-test', 'service.instance.id': expect.stringMatching(new RegExp(`/${(proxy as ProxyProcess).pid}$`)) });
    expect(r.refused).toEqual([]);
  });

  it('exports the pool connect as a child span, any failed attempt on the dead primary as an event', () => {
    const r = receiver as OtlpReceiver;
    const connection = connectionSpans(r)[0] as ReceivedSpan;
    const upstream = childrenOf(r, connection, 'stratum.upstream_connect');
    expect(upstream).toHaveLength(1);
    const [span] = upstream as [ReceivedSpan];
    expect(span.kind).toBe(SPAN_KIND_CLIENT);
    expect(span.attributes).toMatchObject({ 'stratum.pool': livePool, 'server.address': '127.0.0.1', 'stratum.pool_priority': 1 });
    // Whether the miner's connect still tried the primary depends on whether its first probe had
    // marked it down yet; either way each failure is an event naming the primary.
    expect(span.events.length).toBe(span.attributes['stratum.failed_attempts']);
    expect(span.events.map((e) => ({ name: e.name, pool: e.attributes['stratum.pool'], failover: e.attributes['stratum.failover'] }))).toEqual(
      span.events.map(() => ({ name: 'pool_connect_failed', pool: deadPool, failover: true })),
    );
  });

  it('exports a child span per submit with its job, difficulty and result, as many accepted as pool-sim accepted', () => {
    const r = receiver as OtlpReceiver;
    const connection = connectionSpans(r)[0] as ReceivedSpan;
    const submits = childrenOf(r, connection, 'stratum.submit');
    expect(submits.length).toBeGreaterThanOrEqual(SHARES);
    expect(submits.filter((s) => s.attributes['stratum.result'] === 'accepted')).toHaveLength((truth as PoolStats).totals.accepted);
    for (const s of submits) {
      expect(s.attributes).toMatchObject({ 'stratum.worker': 'otel-rig.1', 'stratum.pool': livePool, 'stratum.job_id': expect.any(String), 'stratum.difficulty': expect.any(Number) });
      // SHARE_AUDIT is on by default: every answered share has the audit's verdict.
      expect(s.attributes['stratum.audit']).toMatch(/^(valid|invalid)_(accepted|rejected)$|^unknown_job$/);
      expect(s.endMs).toBeGreaterThanOrEqual(s.startMs);
      expect(s.startMs).toBeGreaterThanOrEqual(connection.startMs);
    }
  });

  it('never sends the mining.authorize password', () => {
    const r = receiver as OtlpReceiver;
    expect(r.bodies.length).toBeGreaterThan(0);
    expect(r.bodies.filter((b) => b.includes(PASSWORD))).toEqual([]);
  });
});

describe('whole path: OpenTelemetry spans with WORKERS=2', () => {
  let receiver: OtlpReceiver | undefined;
  let pool: PoolSim | undefined;
  let proxy: ProxyProcess | undefined;

  afterAll(async () => {
    await proxy?.stop();
    await pool?.close();
    await receiver?.close();
  });

  it('has each worker export the spans of the connections it relays, under its own service.instance.id', async () => {
    receiver = await startOtlpReceiver();
    pool = new PoolSim({ host: '127.0.0.1', port: 0, profile: 'easy', logLevel: 'silent' });
    const livePool = `127.0.0.1:${(await pool.listen()).port}`;
    proxy = await startProxyProcess({
      pools: [`stratum+tcp://${livePool}`],
      env: { ...OTEL_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, WORKERS: '2', DRAIN_TIMEOUT_MS: '2000' },
    });
    const miners = 4;
    await mine(proxy, miners, 'farm');
    const r = receiver;
    await waitFor(() => connectionSpans(r).length === miners, { timeoutMs: 15_000, what: `${miners} connection spans`, context: () => proxy?.logs() ?? '' });
    const instances = new Set(connectionSpans(r).map((s) => String(s.resource['service.instance.id'])));
    // Workers, not the primary (which relays nothing and loads no tracer).
    expect([...instances].filter((id) => id.endsWith(`/${(proxy as ProxyProcess).pid}`))).toEqual([]);
    expect(instances.size).toBeGreaterThanOrEqual(1);
    // Each connection's submits come from the same process as the connection.
    for (const connection of connectionSpans(r)) {
      const submits = childrenOf(r, connection, 'stratum.submit');
      expect(submits.length).toBeGreaterThan(0);
      expect(new Set(submits.map((s) => s.resource['service.instance.id']))).toEqual(new Set([connection.resource['service.instance.id']]));
    }
    expect(r.bodies.filter((b) => b.includes(PASSWORD))).toEqual([]);
  }, 60_000);
});
