import { CLUSTER_PROTOCOL, isPrimaryMessage, isWorkerMessage, looksLikeClusterMessage } from '../src/cluster/messages';

describe('cluster IPC messages', () => {
  it.each([
    { v: 1, type: 'request', requestId: 1, kind: 'scrape' },
    { v: 1, type: 'request', requestId: 2, kind: 'reload' },
    { v: 1, type: 'retire', mode: 'drain' },
    { v: 1, type: 'retire', mode: 'upgrade' },
    { v: 1, type: 'force' },
    { v: 1, type: 'request', requestId: 3, kind: 'connections' },
    { v: 1, type: 'request', requestId: 4, kind: 'trace', args: { connectionIds: [1_000_000_001], limit: 400 } },
    { v: 1, type: 'request', requestId: 5, kind: 'bundle', args: { connectionId: 7 } },
    { v: 1, type: 'request', requestId: 6, kind: 'watch', args: { connectionIds: [] } },
  ])('accepts the primary message %j', (message) => {
    expect(isPrimaryMessage(message)).toBe(true);
  });

  it.each([
    { v: 2, type: 'force' },
    { type: 'force' },
    { v: 1, type: 'request', requestId: '1', kind: 'scrape' },
    { v: 1, type: 'request', requestId: 1, kind: 'shutdown' },
    { v: 1, type: 'retire', mode: 'handover' },
    { v: 1, type: 'request', requestId: 4, kind: 'trace' },
    { v: 1, type: 'request', requestId: 4, kind: 'trace', args: { connectionIds: ['1'], limit: 400 } },
    { v: 1, type: 'request', requestId: 4, kind: 'trace', args: { connectionIds: [1], limit: -1 } },
    { v: 1, type: 'request', requestId: 5, kind: 'bundle', args: {} },
    { v: 1, type: 'request', requestId: 6, kind: 'watch', args: { connectionIds: Array.from({ length: 257 }, (_, i) => i) } },
    { v: 1, type: 'listening', proxy: { host: 'h', port: 1 }, tls: null },
    null,
    'force',
    { cmd: 'NODE_CLUSTER', act: 'online' },
  ])('refuses %j as a primary message', (message) => {
    expect(isPrimaryMessage(message)).toBe(false);
  });

  it.each([
    { v: 1, type: 'listening', proxy: { host: '0.0.0.0', port: 3333 }, tls: null },
    { v: 1, type: 'listening', proxy: { host: '0.0.0.0', port: 3333 }, tls: { host: '0.0.0.0', port: 3334 } },
    { v: 1, type: 'start-failed', code: 'SRL_ERR_ADDRESS_IN_USE', message: 'cannot listen', exitCode: 1 },
    { v: 1, type: 'reply', requestId: 3, kind: 'scrape', body: { seq: 1, families: [] } },
    { v: 1, type: 'reply', requestId: 4, kind: 'readiness', body: { ready: true } },
    { v: 1, type: 'reply-failed', requestId: 5, kind: 'status', error: 'boom' },
    { v: 1, type: 'retired', mode: 'drain', result: { drained: 1, forced: 0, aborted: false, ok: true }, metrics: { seq: 9, families: [] } },
    { v: 1, type: 'reply', requestId: 6, kind: 'connections', body: [] },
    { v: 1, type: 'reply', requestId: 7, kind: 'trace', body: { connections: [], entries: [], traceLines: 200 } },
    { v: 1, type: 'reply', requestId: 8, kind: 'bundle', body: { part: null } },
    { v: 1, type: 'reply', requestId: 8, kind: 'bundle', body: { part: { connection: null, trace: [], clientId: null } } },
    { v: 1, type: 'reply', requestId: 9, kind: 'watch', body: { following: 1 } },
    { v: 1, type: 'trace-lines', connectionId: 7, entries: [{ t: 1, direction: 'miner_to_pool', line: '{}', seq: 1 }], skipped: 0 },
  ])('accepts the worker message %j', (message) => {
    expect(isWorkerMessage(message)).toBe(true);
  });

  it.each([
    { v: 0, type: 'listening', proxy: { host: '0.0.0.0', port: 3333 }, tls: null },
    { v: 1, type: 'listening', proxy: { host: '0.0.0.0' }, tls: null },
    { v: 1, type: 'reply', requestId: 3, kind: 'scrape', body: { families: [] } },
    { v: 1, type: 'reply', requestId: 3, kind: 'scrape' },
    { v: 1, type: 'retired', mode: 'drain', result: {}, metrics: null },
    { v: 1, type: 'reply', requestId: 6, kind: 'connections', body: {} },
    { v: 1, type: 'reply', requestId: 7, kind: 'trace', body: { connections: [] } },
    { v: 1, type: 'reply', requestId: 8, kind: 'bundle', body: null },
    { v: 1, type: 'trace-lines', connectionId: 7, entries: [] },
    { v: 1, type: 'hello' },
  ])('refuses %j as a worker message', (message) => {
    expect(isWorkerMessage(message)).toBe(false);
  });

  it('has one version, and tells a message of another version (worth a log line) from a stranger on the channel', () => {
    expect(CLUSTER_PROTOCOL).toBe(1);
    expect(looksLikeClusterMessage({ v: 2, type: 'listening' })).toBe(true);
    expect(looksLikeClusterMessage({ type: 'prom-client:getMetricsReq' })).toBe(false);
    expect(looksLikeClusterMessage('text')).toBe(false);
  });
});
