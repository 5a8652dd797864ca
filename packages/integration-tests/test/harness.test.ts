/**
 * The harness itself: if the Prometheus parser or the byte comparison were wrong, every
 * whole-path test built on them would prove nothing.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import {
  MetricsParseError,
  RawMiner,
  WaitTimeoutError,
  bytesDiff,
  parsePrometheusText,
  startProxyProcess,
  startTcpTap,
  waitFor,
  type TcpTap,
} from '../src';

const SCRAPE = `# HELP stratum_accepted_shares_total Shares the pool accepted.
# TYPE stratum_accepted_shares_total counter
stratum_accepted_shares_total{client_id="a.1",pool_host="127.0.0.1"} 3
stratum_accepted_shares_total{client_id="b \\"quoted\\" \\\\ back\\nslash",pool_host="127.0.0.1"} 4
stratum_rejected_shares_total{client_id="a.1",pool_host="127.0.0.1",reason="stale"} 2
stratum_rejected_shares_total{client_id="a.1",pool_host="127.0.0.1",reason="duplicate"} 1
stratum_pending_requests 0
nodejs_eventloop_lag_p50_seconds Nan
stratum_request_response_seconds_bucket{le="+Inf",method="mining.submit"} 12
stratum_accepted_difficulty_total{client_id="a.1",pool_host="127.0.0.1"} 1.5e-05 1700000000000
`;

describe('parsePrometheusText', () => {
  const m = parsePrometheusText(SCRAPE);

  it('reads names, labels with escapes, values, NaN written as prom-client does, and ignores timestamps', () => {
    expect(m.samples).toHaveLength(8);
    expect(m.get('stratum_accepted_shares_total', { client_id: 'b "quoted" \\ back\nslash', pool_host: '127.0.0.1' })).toBe(4);
    expect(m.get('stratum_pending_requests')).toBe(0);
    expect(m.get('nodejs_eventloop_lag_p50_seconds')).toBeNaN();
    expect(m.get('stratum_request_response_seconds_bucket', { le: '+Inf', method: 'mining.submit' })).toBe(12);
    expect(m.get('stratum_accepted_difficulty_total', { client_id: 'a.1', pool_host: '127.0.0.1' })).toBe(0.000015);
  });

  it('sums over a label filter and needs the exact label set for get', () => {
    expect(m.sum('stratum_accepted_shares_total')).toBe(7);
    expect(m.sum('stratum_rejected_shares_total', { client_id: 'a.1' })).toBe(3);
    expect(m.sum('stratum_rejected_shares_total', { reason: 'low_difficulty' })).toBe(0);
    expect(m.get('stratum_accepted_shares_total', { client_id: 'a.1' })).toBeUndefined();
    expect(m.labelValues('stratum_rejected_shares_total', 'reason').sort()).toEqual(['duplicate', 'stale']);
  });

  it.each([['metric{a="x" 1'], ['metric{a=x} 1'], ['metric 1 2 3'], ['metric one'], ['{a="x"} 1']])('rejects the malformed line %j with a coded error', (line) => {
    expect(() => parsePrometheusText(line)).toThrow(expect.objectContaining({ code: 'SRL_ERR_IT_METRICS_PARSE' }));
    expect(() => parsePrometheusText(line)).toThrow(MetricsParseError);
  });
});

describe('bytesDiff', () => {
  it('is null for equal bytes and names the first differing byte otherwise', () => {
    expect(bytesDiff(Buffer.from('abc\n'), Buffer.from('abc\n'))).toBeNull();
    expect(bytesDiff(Buffer.from('abcd'), Buffer.from('abXd'))).toMatch(/first difference at byte 2/);
    expect(bytesDiff(Buffer.from('abc'), Buffer.from('abc\n'))).toMatch(/lengths 3 vs 4/);
  });
});

describe('waitFor', () => {
  it('returns the first truthy value and fails with SRL_ERR_IT_TIMEOUT when none comes in time', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : 0), { timeoutMs: 5_000, intervalMs: 1 })).resolves.toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 30, intervalMs: 5, what: 'nothing' })).rejects.toThrow(WaitTimeoutError);
    await expect(waitFor(() => Promise.reject(new Error('boom')), { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(/last error: boom/);
  });
});

describe('startTcpTap', () => {
  let echo: Server;
  let tap: TcpTap | undefined;
  const clients: RawMiner[] = [];

  beforeAll(async () => {
    // Echo server that answers FIN with FIN, like a pool.
    echo = createServer((s) => {
      s.on('data', (c) => s.write(c));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    tap = await startTcpTap({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await tap?.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  it('records both directions of each session and passes a half-close through', async () => {
    const t = tap as TcpTap;
    const client = await RawMiner.connect(t.port);
    clients.push(client);
    const payload = Buffer.concat([Buffer.from('{"id":1}\r\n'), Buffer.from([0xff, 0x00, 0x0a]), Buffer.alloc(200_000, 0x41)]);
    await client.send(payload);
    await waitFor(() => client.receivedBytes === payload.length, { timeoutMs: 10_000, what: 'the echo' });
    await client.end();
    await waitFor(() => t.sessions()[0]?.closed, { timeoutMs: 10_000, what: 'the tapped session to close' });
    const [s] = t.sessions();
    expect(bytesDiff(s?.fromClient ?? Buffer.alloc(0), payload)).toBeNull();
    expect(bytesDiff(s?.toClient ?? Buffer.alloc(0), client.received)).toBeNull();
  });
});

describe('startProxyProcess', () => {
  it('fails with SRL_ERR_IT_PROCESS_START and the program\'s own words when the proxy refuses its config', async () => {
    const start = startProxyProcess({ poolHost: '127.0.0.1', poolPort: 3333, env: { SUBMIT_TIMEOUT_MS: 'soon' } });
    await expect(start).rejects.toMatchObject({ code: 'SRL_ERR_IT_PROCESS_START', message: expect.stringMatching(/config error/) });
  }, 30_000);
});
