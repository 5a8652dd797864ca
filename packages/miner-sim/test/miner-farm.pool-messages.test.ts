import { MinerFarm } from '@stratum-relay/miner-sim';
import { ScriptedPool, type PoolConn } from './helpers/scripted-pool';
import { waitFor } from './helpers/wait-for';

describe('miners follow what the pool tells them', () => {
  let pool: ScriptedPool;
  let other: ScriptedPool | null = null;
  let farm: MinerFarm | null = null;

  beforeEach(async () => {
    pool = new ScriptedPool({ difficulty: 1e-6 });
    await pool.listen();
  });
  afterEach(async () => {
    await farm?.stop();
    farm = null;
    await pool.close();
    await other?.close();
    other = null;
  });

  async function startOne(extra: Partial<ConstructorParameters<typeof MinerFarm>[0]> = {}): Promise<PoolConn> {
    farm = new MinerFarm({ url: pool.url, miners: 1, hashrate: 1_000_000, ...extra });
    await farm.start();
    await waitFor('first accepted share', () => pool.submits.some((s) => s.accepted));
    return pool.conns[0]!;
  }

  const submitsFor = (p: ScriptedPool, jobId: string): number => p.submits.filter((s) => s.jobId === jobId).length;

  it('applies set_difficulty from the next notify, not to the job in progress', async () => {
    const conn = await startOne();
    const oldJob = pool.currentJob.jobId;
    const high = 16e-6;
    pool.setDifficulty(conn, high);
    const mark = pool.submits.length;
    await waitFor('three more shares on the old job', () => pool.submits.slice(mark).filter((s) => s.jobId === oldJob).length >= 3);
    const afterSet = pool.submits.slice(mark).filter((s) => s.jobId === oldJob);
    // Still mined at the old target: some of them are below the new difficulty, all accepted.
    expect(afterSet.every((s) => s.accepted)).toBe(true);
    expect(afterSet.some((s) => s.difficulty! < high)).toBe(true);

    const newJob = pool.newJob(true).jobId;
    await waitFor('two shares on the new job', () => submitsFor(pool, newJob) >= 2);
    const fresh = pool.submits.filter((s) => s.jobId === newJob);
    expect(fresh.every((s) => s.accepted && s.difficulty! >= high)).toBe(true);
  });

  it('drops the old job at once on clean_jobs', async () => {
    await startOne();
    const oldJob = pool.currentJob.jobId;
    const newJob = pool.newJob(true).jobId;
    await waitFor('three shares on the new job', () => submitsFor(pool, newJob) >= 3);
    const firstNew = pool.submits.findIndex((s) => s.jobId === newJob);
    expect(pool.submits.slice(firstNew).filter((s) => s.jobId === oldJob)).toEqual([]);
    expect(pool.submits.slice(firstNew).every((s) => s.accepted)).toBe(true);
  });

  it('switches to a job notified without clean_jobs', async () => {
    await startOne();
    const newJob = pool.newJob(false).jobId;
    await waitFor('two shares on the new job', () => submitsFor(pool, newJob) >= 2);
    expect(pool.submits.every((s) => s.accepted)).toBe(true);
  });

  it('uses the extranonce from set_extranonce for jobs notified after it', async () => {
    const conn = await startOne({ extranonceSubscribe: true });
    expect(conn.requests.some((r) => r.method === 'mining.extranonce.subscribe')).toBe(true);
    conn.extranonce1 = 'feedbeef';
    conn.send({ id: null, method: 'mining.set_extranonce', params: ['feedbeef', 4] });
    const newJob = pool.newJob(true).jobId;
    await waitFor('three shares on the new job', () => submitsFor(pool, newJob) >= 3);
    // The pool checks each job's shares with the extranonce1 it was sent with. (Old-job shares
    // in flight when the clean notify went out are legitimately stale, so only new ones count.)
    const fresh = pool.submits.filter((s) => s.jobId === newJob);
    expect(fresh.map((s) => s.code)).toEqual(fresh.map(() => null));
  });

  it('answers client.get_version with its user agent', async () => {
    const conn = await startOne();
    conn.send({ id: 'gv1', method: 'client.get_version', params: [] });
    await waitFor('the version answer', () => conn.responses.some((r) => r.id === 'gv1'));
    expect(conn.responses.find((r) => r.id === 'gv1')).toEqual({ id: 'gv1', result: 'miner-sim/0.1', error: null });
  });

  it('answers an unknown pool request with an error instead of ignoring it', async () => {
    const conn = await startOne();
    conn.send({ id: 77, method: 'mining.something_new', params: [] });
    await waitFor('the error answer', () => conn.responses.some((r) => r.id === 77));
    expect(conn.responses.find((r) => r.id === 77)?.error).toEqual([20, 'Method not supported', null]);
  });

  it('follows client.reconnect to the host and port it names', async () => {
    other = new ScriptedPool({ difficulty: 1e-6 });
    await other.listen();
    const conn = await startOne();
    conn.send({ id: null, method: 'client.reconnect', params: ['127.0.0.1', other.port, 0] });
    await waitFor('an accepted share at the second pool', () => other!.submits.some((s) => s.accepted));
    expect(other.conns[0]!.requests.map((r) => r.method).slice(0, 2)).toEqual(['mining.subscribe', 'mining.authorize']);
    const s = farm!.summary();
    expect(s.connects).toBe(2);
    expect(s.disconnects).toBe(1);
  });

  it('reconnects to the same pool when client.reconnect names no host', async () => {
    const conn = await startOne();
    conn.send({ id: null, method: 'client.reconnect', params: [] });
    await waitFor('a second authorized connection', () => pool.conns.length === 2 && pool.conns[1]!.authorizedWorkers.size === 1);
    expect(conn.closed).toBe(true);
  });

  it('follows CRLF-terminated pool lines and skips blank ones without counting them', async () => {
    const conn = await startOne();
    conn.socket.write('\r\n\n{"id":"gv2","method":"client.get_');
    conn.socket.write('version","params":[]}\r\n\r\n');
    await waitFor('the version answer', () => conn.responses.some((r) => r.id === 'gv2'));
    expect(farm!.summary().poolErrors).toBe(0);
  });

  it('drops a pool line over its line cap up to the newline, uncounted, and keeps mining', async () => {
    const conn = await startOne({ maxLineBytes: 1024 });
    // A request the miner would answer if the line were not dropped.
    conn.socket.write(`{"id":"big","method":"client.get_version","params":["${'x'.repeat(1500)}`);
    conn.socket.write(`${'y'.repeat(1500)}"]}\n`);
    conn.send({ id: 'after', method: 'client.get_version', params: [] });
    await waitFor('the answer to the next line', () => conn.responses.some((r) => r.id === 'after'));
    expect(conn.responses.some((r) => r.id === 'big')).toBe(false);
    const before = pool.submits.length;
    await waitFor('mining goes on', () => pool.submits.length > before);
    const s = farm!.summary();
    expect(s.poolErrors).toBe(0);
    expect(s.disconnects).toBe(0);
  });

  it('counts pool lines it cannot use without disconnecting', async () => {
    const conn = await startOne();
    conn.socket.write('this is not json\n');
    conn.send({ id: null, method: 'mining.notify', params: ['x'] });
    conn.send({ id: null, method: 'mining.set_difficulty', params: [-1] });
    await waitFor('three pool errors', () => farm!.summary().poolErrors === 3);
    const before = pool.submits.length;
    await waitFor('mining goes on', () => pool.submits.length > before);
    expect(farm!.summary().disconnects).toBe(0);
  });
});
