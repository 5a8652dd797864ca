import { assertBuilt, cleanupAll, closedPort, connectMiner, runProgram, startLoopbackPool, tryConnect, waitFor, type ProgramRun } from './service-test-kit';

beforeAll(assertBuilt);
afterEach(cleanupAll);

/** Start the built program in front of a loopback pool; resolves once the proxy listens. */
async function startProxy(env: Record<string, string> = {}): Promise<{ run: ProgramRun; proxyPort: number }> {
  const pool = await startLoopbackPool();
  const run = runProgram([], {
    POOL_HOST: '127.0.0.1',
    POOL_PORT: String(pool.port),
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    ...env,
  });
  const listening = await run.waitForLog('proxy listening');
  const proxyPort = (listening.proxy_address as { port: number }).port;
  return { run, proxyPort };
}

/** A miner that subscribed and authorized through the proxy. */
async function authorizedMiner(proxyPort: number, worker: string) {
  const miner = await connectMiner(proxyPort);
  miner.send({ id: 1, method: 'mining.subscribe', params: ['test-miner/1.0'] });
  miner.send({ id: 2, method: 'mining.authorize', params: [worker, 'never-logged-pw'] });
  await miner.response(2);
  return miner;
}

describe('stratum-proxy shutdown and connection logging', () => {
  it('on SIGTERM stops accepting, keeps relaying an open connection until the miner closes it, then exits 0', async () => {
    const { run, proxyPort } = await startProxy({ DRAIN_TIMEOUT_MS: '60000' });
    const miner = await authorizedMiner(proxyPort, 'alice.rig1');

    run.child.kill('SIGTERM');
    await run.waitForLog('shutting down: no new connections, draining open ones');
    expect(await tryConnect(proxyPort)).toBe('ECONNREFUSED');

    // Still relaying both ways while draining.
    miner.send({ id: 3, method: 'mining.submit', params: ['alice.rig1', 'job1', '00000000', '5f5e1000', '12345678'] });
    expect(await miner.response(3)).toMatchObject({ id: 3, result: true });

    let exitedEarly = false;
    void run.exited.then(() => {
      exitedEarly = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(exitedEarly).toBe(false);

    miner.socket.end();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const logs = run.logs();
    expect(logs.find((l) => l.msg === 'connections closed')).toMatchObject({ drained: 1, forced: 0, aborted: false });
    expect(logs.find((l) => l.msg === 'connection closed')).toMatchObject({ worker: 'alice.rig1', side: 'miner', reason: 'end' });
    expect(run.stdoutLines.join('\n')).not.toContain('never-logged-pw');
  });

  it('closes connections still open at the drain deadline, then exits 0', async () => {
    const { run, proxyPort } = await startProxy({ DRAIN_TIMEOUT_MS: '300' });
    const miner = await authorizedMiner(proxyPort, 'bob.rig2');
    run.child.kill('SIGTERM');
    await miner.closed;
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const logs = run.logs();
    expect(logs.find((l) => l.msg === 'connections closed')).toMatchObject({ drained: 0, forced: 1 });
    expect(logs.find((l) => l.msg === 'connection closed')).toMatchObject({ worker: 'bob.rig2', side: 'proxy', reason: 'drain' });
  });

  it('closes everything at once on a second signal during the drain, counts them forced and exits 130 after SIGINT', async () => {
    const { run, proxyPort } = await startProxy({ DRAIN_TIMEOUT_MS: '60000' });
    const miners = [await authorizedMiner(proxyPort, 'carol.rig3'), await authorizedMiner(proxyPort, 'carol.rig4')];
    run.child.kill('SIGTERM');
    await run.waitForLog('shutting down: no new connections, draining open ones');
    run.child.kill('SIGINT');
    for (const miner of miners) await miner.closed;
    expect(await run.exited).toEqual({ code: 130, signal: null });
    expect(run.logs().find((l) => l.msg === 'connections closed')).toEqual(expect.objectContaining({ drained: 0, forced: 2, aborted: true }));
  });

  it('with DRAIN_RECONNECT sends client.reconnect to the configured host and port, and the summary says so', async () => {
    const { run, proxyPort } = await startProxy({ DRAIN_TIMEOUT_MS: '60000', DRAIN_RECONNECT: 'true', DRAIN_RECONNECT_HOST: 'relay2.example', DRAIN_RECONNECT_PORT: '3334' });
    const miner = await authorizedMiner(proxyPort, 'dave.rig5');
    run.child.kill('SIGTERM');
    const told = await waitFor('client.reconnect at the miner', () => miner.lines.find((l) => l.includes('client.reconnect')));
    expect(JSON.parse(told)).toEqual({ id: null, method: 'client.reconnect', params: ['relay2.example', 3334] });
    miner.socket.end();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.logs().find((l) => l.msg === 'shutting down: no new connections, draining open ones')).toMatchObject({ drain_reconnect: true });
    expect(run.logs().find((l) => l.msg === 'connections closed')).toMatchObject({ drained: 1, forced: 0, reconnects: { sent: 1, after_line: 0, skipped: 0 } });
  });

  it('logs connection open and close lines with worker name, remote address, duration and bytes', async () => {
    const { run, proxyPort } = await startProxy();
    const miner = await authorizedMiner(proxyPort, 'dave.rig4');
    const localPort = miner.socket.localPort;
    const opened = await run.waitForLog('connection opened');
    expect(opened).toMatchObject({ level: 'info', remote_address: '127.0.0.1', remote_port: localPort });
    expect(typeof opened.connection_id).toBe('number');

    const sentBytes = miner.socket.bytesWritten;
    miner.socket.end();
    await miner.closed;
    const closed = await run.waitForLog('connection closed', (l) => l.connection_id === opened.connection_id);
    expect(closed).toMatchObject({
      level: 'info',
      worker: 'dave.rig4',
      remote_address: '127.0.0.1',
      remote_port: localPort,
      bytes_miner_to_pool: sentBytes,
      bytes_pool_to_miner: miner.socket.bytesRead,
      side: 'miner',
      reason: 'end',
    });
    expect(closed.duration_ms).toEqual(expect.any(Number));
    expect(closed.duration_ms as number).toBeGreaterThanOrEqual(0);
    expect(run.stdoutLines.join('\n')).not.toContain('never-logged-pw');

    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });

  it('keeps running when the pool refuses, logging the failure at warn', async () => {
    const { run, proxyPort } = await startProxy({ POOL_PORT: String(await closedPort()) });
    const miner = await connectMiner(proxyPort);
    miner.send({ id: 1, method: 'mining.subscribe', params: [] });
    await miner.closed;
    const failed = await run.waitForLog('cannot connect to pool');
    expect(failed).toMatchObject({ level: 'warn', pool_host: '127.0.0.1', reason: 'refused', code: 'ECONNREFUSED' });
    await waitFor('close line', () => run.logs().find((l) => l.msg === 'connection closed' && l.reason === 'upstream_failed'));
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });
});
