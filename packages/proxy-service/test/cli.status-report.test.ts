import { buildStatusReport, formatHashrate, formatStatusReport } from '../src/cli/status-report';
import { parsePrometheusText, sumBy, sumOf } from '../src/cli/prometheus-text';

const METRICS = `# HELP stratum_submits_total Shares submitted
# TYPE stratum_submits_total counter
stratum_submits_total{client_id="alice.1",pool_host="p:1"} 60
stratum_submits_total{client_id="bob.1",pool_host="p:1"} 40
stratum_accepted_shares_total{client_id="alice.1",pool_host="p:1"} 50
stratum_accepted_shares_total{client_id="bob.1",pool_host="p:1"} 38
stratum_rejected_shares_total{client_id="alice.1",pool_host="p:1",reason="stale"} 6
stratum_rejected_shares_total{client_id="alice.1",pool_host="p:1",reason="duplicate"} 2
stratum_rejected_shares_total{client_id="bob.1",pool_host="p:1",reason="stale"} 1
stratum_rejected_shares_total{client_id="carol \\"the\\" miner",pool_host="p:1",reason="low_difficulty"} 0
stratum_submit_timeouts_total{client_id="bob.1",pool_host="p:1"} 1
stratum_accepted_difficulty_total{client_id="alice.1",pool_host="p:1"} 500
stratum_accepted_difficulty_total{client_id="bob.1",pool_host="p:1"} 100
stratum_max_connections 10000
stratum_share_difficulty_bucket{le="+Inf"} 3
a line this parser cannot read
`;

const STATUS = {
  version: '0.1.0',
  uptimeSeconds: 3725,
  config: {},
  pools: [
    { name: 'backup', host: 'b.example', port: 443, scheme: 'tls', priority: 1, state: 'up', miners: 0, lastError: null },
    { name: 'main', host: 'a.example', port: 3333, scheme: 'tcp', priority: 0, state: 'down', miners: 2, lastError: 'connect ECONNREFUSED' },
  ],
  connections: [{ connectionId: 1 }, { connectionId: 2 }],
};

describe('parsePrometheusText', () => {
  it('reads names, unescaped labels and values, and skips comments and unreadable lines', () => {
    const samples = parsePrometheusText(METRICS);
    expect(samples).toHaveLength(13);
    expect(samples.find((s) => s.labels['client_id']?.startsWith('carol'))?.labels['client_id']).toBe('carol "the" miner');
    expect(samples.find((s) => s.name === 'stratum_share_difficulty_bucket')).toEqual({ name: 'stratum_share_difficulty_bucket', labels: { le: '+Inf' }, value: 3 });
    expect(sumOf(samples, 'stratum_submits_total')).toBe(100);
    expect(sumBy(samples, 'stratum_rejected_shares_total', 'reason')).toEqual(new Map([['stale', 7], ['duplicate', 2], ['low_difficulty', 0]]));
  });
});

describe('buildStatusReport', () => {
  const metrics = parsePrometheusText(METRICS);

  it('sums shares, rejects by reason and the workers with the most rejects, pools by priority', () => {
    const report = buildStatusReport({ url: 'http://h:9333', status: STATUS, metrics });
    expect(report).toMatchObject({
      version: '0.1.0',
      miners: 2,
      maxConnections: 10000,
      shares: { submitted: 100, accepted: 88, rejected: 9, timedOut: 1 },
      rejectsByReason: [
        { reason: 'stale', count: 7 },
        { reason: 'duplicate', count: 2 },
      ],
      topWorkersByRejects: [
        { worker: 'alice.1', rejected: 8, accepted: 50 },
        { worker: 'bob.1', rejected: 1, accepted: 38 },
      ],
      hashrateOver: 'since start',
    });
    expect(report.pools.map((p) => [p.name, p.address])).toEqual([
      ['main', 'a.example:3333'],
      ['backup', 'tls://b.example:443'],
    ]);
    // 600 difficulty-1 shares' worth of work over 3725 s.
    expect(report.hashrate).toBeCloseTo((600 * 2 ** 32) / 3725, 3);
  });

  it('takes the hashrate over the sample window when given an earlier scrape', () => {
    const earlier = parsePrometheusText(METRICS.replace('} 500', '} 440'));
    const report = buildStatusReport({ url: 'u', status: STATUS, metrics, earlier: { metrics: earlier, spanMs: 10_000 } });
    expect(report.hashrateOver).toBe('10s');
    expect(report.hashrate).toBeCloseTo((60 * 2 ** 32) / 10, 3);
  });

  it('reads what it can of an answer missing fields', () => {
    const report = buildStatusReport({ url: 'u', status: 'nonsense', metrics: [] });
    expect(report).toMatchObject({ version: 'unknown', pools: [], miners: 0, maxConnections: null, hashrate: 0, rejectsByReason: [], topWorkersByRejects: [] });
  });

  it('prints pools, miners, hashrate, shares, rejects by reason and top workers', () => {
    const text = formatStatusReport(buildStatusReport({ url: 'http://h:9333', status: STATUS, metrics }));
    expect(text).toContain('stratum-relay 0.1.0 at http://h:9333, up 1h 2m');
    expect(text).toMatch(/Pools \(1 of 2 up\):\n +# +POOL +STATE +MINERS +ADDRESS +LAST ERROR\n +0 +main +down +2 +a\.example:3333 +connect ECONNREFUSED\n +1 +backup +up +0 +tls:\/\/b\.example:443\n/);
    expect(text).toContain('Miners:    2 connected (limit 10,000)');
    expect(text).toContain('Hashrate:  692 MH/s (average since start)');
    expect(text).toContain('Shares:    100 submitted, 88 accepted, 9 rejected (9.3 %), 1 timed out');
    expect(text).toMatch(/Rejects by reason:\n +REASON +SHARES +OF REJECTS\n +stale +7 +77\.8 %\n +duplicate +2 +22\.2 %\n/);
    expect(text).toMatch(/Top workers by rejects:\n +WORKER +REJECTED +ACCEPTED +REJECT RATE\n +alice\.1 +8 +50 +13\.8 %\n +bob\.1 +1 +38 +2\.6 %\n/);
  });
});

describe('formatHashrate', () => {
  it.each([
    [0, '0 H/s'],
    [999, '999 H/s'],
    [1_500, '1.50 kH/s'],
    [123_400_000_000_000, '123 TH/s'],
    [2.5e18, '2.50 EH/s'],
  ])('%d H/s reads %s', (hps, text) => {
    expect(formatHashrate(hps)).toBe(text);
  });
});
