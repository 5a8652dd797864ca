import { mergeStatus, type WorkerStatusInput } from '../src/cluster/status-merge';
import type { StatusConnection, StatusPool } from '../src/status';

function pool(name: string, priority: number, over: Partial<StatusPool> = {}): StatusPool {
  return {
    name,
    host: `${name}.example`,
    port: 3333,
    scheme: 'tcp',
    priority,
    state: 'up',
    since: '2030-01-01T00:00:00.000Z',
    miners: 0,
    lastError: null,
    lastErrorAt: null,
    accountRewrite: false,
    ...over,
  };
}

function connection(id: number, worker: string): StatusConnection {
  return {
    connectionId: id,
    worker,
    pool: 'a',
    remoteAddress: '10.0.0.1',
    connectedSince: '2030-01-01T00:00:00.000Z',
    bytesSent: 1,
    bytesReceived: 2,
    submits: 3,
    accepted: 3,
    rejected: 0,
    currentDifficulty: 8,
    lastShareAt: null,
  };
}

function worker(id: number, pools: StatusPool[], connections: StatusConnection[], effective = 9_950): WorkerStatusInput {
  return {
    id,
    slot: id,
    generation: 1,
    pid: 1000 + id,
    state: 'running',
    startedAt: Date.parse('2030-01-01T00:00:00.000Z'),
    reply: {
      readiness: { ready: true },
      status: { pools, connections, maxConnections: { configured: 10_000, effective }, listeners: { plain: true, tls: null }, reload: { count: 0, lastSuccessAt: null } },
    },
  };
}

const base = {
  version: '9.9.9',
  startedAt: Date.parse('2030-01-01T00:00:00.000Z'),
  now: Date.parse('2030-01-01T00:01:00.000Z'),
  config: { poolHost: 'a', metricsToken: 'never-shown', workers: 2 },
  restarts: 1,
  reload: { count: 0, lastSuccessAt: null },
};

describe('the merged /status of several workers', () => {
  it("concatenates the workers' connections, each with its worker's id", () => {
    const body = mergeStatus({ ...base, workers: [worker(1, [], [connection(1, 'rig1'), connection(2, 'rig2')]), worker(4, [], [connection(1, 'rig3')])] });
    expect(body.connections.map((c) => [c.workerId, c.connectionId, c.worker])).toEqual([
      [1, 1, 'rig1'],
      [1, 2, 'rig2'],
      [4, 1, 'rig3'],
    ]);
  });

  it('merges pools by name: miners summed, state from the latest change, last error from the latest error, each worker view kept', () => {
    const body = mergeStatus({
      ...base,
      workers: [
        worker(1, [pool('a', 0, { miners: 3, state: 'up', since: '2030-01-01T00:00:10.000Z' }), pool('b', 1, { miners: 0, state: 'unknown', since: null })], []),
        worker(2, [
          pool('a', 0, { miners: 2, state: 'down', since: '2030-01-01T00:00:20.000Z', lastError: 'refused', lastErrorAt: '2030-01-01T00:00:20.000Z' }),
          pool('b', 1, { miners: 1, state: 'up', since: '2030-01-01T00:00:05.000Z' }),
        ], []),
      ],
    });
    expect(body.pools.map((p) => [p.name, p.state, p.since, p.miners, p.lastError])).toEqual([
      ['a', 'down', '2030-01-01T00:00:20.000Z', 5, 'refused'],
      ['b', 'up', '2030-01-01T00:00:05.000Z', 1, null],
    ]);
    expect(body.pools[0]!.workers).toEqual([
      { workerId: 1, state: 'up', since: '2030-01-01T00:00:10.000Z', miners: 3 },
      { workerId: 2, state: 'down', since: '2030-01-01T00:00:20.000Z', miners: 2 },
    ]);
  });

  it('lists every worker, the silent one included, sums the effective connection limits and hides the token', () => {
    const silent: WorkerStatusInput = { ...worker(3, [], []), reply: null };
    const body = mergeStatus({ ...base, workers: [worker(1, [], [connection(1, 'x')], 9_000), worker(2, [], [], 9_500), silent] });
    expect(body.workers.map((w) => [w.workerId, w.answered, w.ready, w.connections])).toEqual([
      [1, true, true, 1],
      [2, true, true, 0],
      [3, false, null, null],
    ]);
    expect(body.maxConnections).toEqual({ configured: 10_000, effective: 18_500 });
    expect(body).toMatchObject({ version: '9.9.9', uptimeSeconds: 60, restarts: 1, config: { poolHost: 'a', workers: 2 } });
    expect(JSON.stringify(body)).not.toContain('never-shown');
  });

  it("gives a worker that is not ready its reason", () => {
    const w = worker(1, [], []);
    const body = mergeStatus({ ...base, workers: [{ ...w, reply: { ...w.reply!, readiness: { ready: false, reason: 'no pool is up' } } }] });
    expect(body.workers[0]).toMatchObject({ ready: false, reason: 'no pool is up' });
  });
});
