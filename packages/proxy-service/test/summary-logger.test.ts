import { createLogger } from '@stratum-relay/logger';
import { SummaryLogger, summaryFields } from '../src/summary-logger';
import type { FarmTotals } from '../src/ui/farm-summary';
import { assertBuilt, cleanupAll, connectMiner, runProgram, startLoopbackPool } from './service-test-kit';

function totals(over: Partial<FarmTotals> = {}): FarmTotals {
  return {
    t: 0,
    accepted: 0,
    acceptedDifficulty: 0,
    rejected: 0,
    rejectedByReason: {},
    blockCandidates: 0,
    bestShare: 0,
    auditVerdicts: {},
    connections: 0,
    refusals: {},
    pools: [],
    ...over,
  };
}

function capture() {
  const lines: string[] = [];
  return { write: (line: string) => void lines.push(line), json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('summaryFields', () => {
  it('reports what changed over the interval and what is true now', () => {
    const before = totals({ t: 1_000, accepted: 10, acceptedDifficulty: 1_000, rejectedByReason: { stale: 2 }, refusals: { max_connections: 1 } });
    const after = totals({
      t: 61_000,
      accepted: 25,
      acceptedDifficulty: 1_000 + 60 * 16, // 16 difficulty-1 shares a second: 16 × 2^32 H/s
      rejectedByReason: { stale: 5, low_difficulty: 1 },
      refusals: { max_connections: 1, not_allowed: 4 },
      connections: 12,
      pools: [
        { name: 'main.example:3333', state: 'up', priority: 0, miners: 10, failovers: 0 },
        { name: 'backup.example:3333', state: 'down', priority: 1, miners: 2, failovers: 1 },
      ],
    });
    expect(summaryFields(before, after)).toEqual({
      interval_ms: 60_000,
      miners: 12,
      pools: [
        { pool: 'main.example:3333', state: 'up', priority: 0, miners: 10 },
        { pool: 'backup.example:3333', state: 'down', priority: 1, miners: 2 },
      ],
      hashrate_hs: 16 * 2 ** 32,
      accepted: 15,
      rejected: 4,
      rejected_by_reason: { stale: 3, low_difficulty: 1 },
      refused: 4,
      refused_by_reason: { not_allowed: 4 },
    });
  });

  it('counts a counter that went down (a restart) from zero', () => {
    expect(summaryFields(totals({ accepted: 100 }), totals({ t: 1, accepted: 3 }))).toMatchObject({ accepted: 3 });
  });
});

describe('SummaryLogger', () => {
  it('logs one snake_case info line per call, each for the time since the previous one', async () => {
    const dest = capture();
    const reads = [totals({ t: 0 }), totals({ t: 60_000, accepted: 4 }), totals({ t: 120_000, accepted: 5 })];
    const summary = new SummaryLogger({
      logger: createLogger({ level: 'info', format: 'json', destination: dest }),
      intervalMs: 60_000,
      read: async () => reads.shift() as FarmTotals,
    });
    summary.start();
    await summary.logNow();
    await summary.logNow();
    summary.stop();
    const lines = dest.json();
    expect(lines.map((l) => [l.msg, l.level, l.accepted, l.interval_ms])).toEqual([
      ['summary', 'info', 4, 60_000],
      ['summary', 'info', 1, 60_000],
    ]);
    const keys = lines.flatMap((l) => Object.keys(l));
    expect(keys.filter((k) => !/^[a-z][a-z0-9_]*$/.test(k))).toEqual([]);
  });

  it('skips a line, never throws, when the totals cannot be read', async () => {
    const dest = capture();
    const summary = new SummaryLogger({
      logger: createLogger({ level: 'info', format: 'json', destination: dest }),
      intervalMs: 60_000,
      read: () => Promise.reject(new Error('registry closed')),
    });
    await expect(summary.logNow()).resolves.toBeUndefined();
    expect(dest.json()).toEqual([]);
  });
});

describe('stratum-proxy summary line', () => {
  beforeAll(assertBuilt);
  afterEach(cleanupAll);

  it('logs miners, pools and shares every LOG_SUMMARY_INTERVAL_MS and once more at shutdown', async () => {
    const pool = await startLoopbackPool();
    const run = runProgram([], {
      POOL_HOST: '127.0.0.1',
      POOL_PORT: String(pool.port),
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      LOG_SUMMARY_INTERVAL_MS: '200ms',
    });
    const listening = await run.waitForLog('proxy listening');
    const miner = await connectMiner((listening.proxy_address as { port: number }).port);
    miner.send({ id: 1, method: 'mining.subscribe', params: [] });
    miner.send({ id: 2, method: 'mining.authorize', params: ['sum.rig1', 'x'] });
    await miner.response(2);
    miner.send({ id: 3, method: 'mining.submit', params: ['sum.rig1', 'job1', '00000000', '5f5e1000', '12345678'] });
    await miner.response(3);
    const line = await run.waitForLog('summary', (l) => l.accepted === 1);
    expect(line).toMatchObject({ level: 'info', miners: 1, rejected: 0, refused: 0, pools: [{ pool: `127.0.0.1:${pool.port}`, state: 'up', priority: 0, miners: 1 }] });
    expect(line.hashrate_hs).toBeGreaterThan(0);

    const before = run.logs().filter((l) => l.msg === 'summary').length;
    run.child.kill('SIGTERM');
    miner.socket.end();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const after = run.logs();
    expect(after.filter((l) => l.msg === 'summary').length).toBeGreaterThan(before);
    const last = after.filter((l) => l.msg === 'summary').pop();
    expect(after.indexOf(last as Record<string, unknown>)).toBeGreaterThan(after.findIndex((l) => l.msg === 'connections closed'));
  });

  it('writes no summary with LOG_SUMMARY_INTERVAL_MS=0', async () => {
    const pool = await startLoopbackPool();
    const run = runProgram([], {
      POOL_HOST: '127.0.0.1',
      POOL_PORT: String(pool.port),
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      LOG_SUMMARY_INTERVAL_MS: '0',
    });
    await run.waitForLog('proxy listening');
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.logs().filter((l) => l.msg === 'summary')).toEqual([]);
  });
});
