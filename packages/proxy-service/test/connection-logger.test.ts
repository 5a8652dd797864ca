import { createLogger, type LogDestination, type LogLevel } from '@stratum-relay/logger';
import type { ProxyEvent, ProxyEventListener } from '@stratum-relay/shared-types';
import { ConnectionLogger } from '../src/connection-logger';

function capture(): LogDestination & { json(): Record<string, unknown>[]; text(): string } {
  const lines: string[] = [];
  return {
    write(line: string) {
      lines.push(line);
    },
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}

function setup(level: LogLevel = 'info') {
  const dest = capture();
  const logger = new ConnectionLogger(createLogger({ level, format: 'json', destination: dest }));
  return { dest, logger, emit: (event: ProxyEvent) => logger.handle(event) };
}

/** A logger whose rate limits run on a clock the test moves (timers fire when it passes them). */
function setupWithClock() {
  const dest = capture();
  let now = 0;
  let timers: Array<{ at: number; fn: () => void }> = [];
  const logger = new ConnectionLogger(createLogger({ level: 'info', format: 'json', destination: dest }), {
    now: () => now,
    schedule: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
  });
  const advance = (ms: number): void => {
    now += ms;
    for (const timer of timers.filter((t) => t.at <= now)) {
      timers = timers.filter((t) => t !== timer);
      timer.fn();
    }
  };
  return { dest, logger, emit: (event: ProxyEvent) => logger.handle(event), advance };
}

const opened = (connectionId: number, remoteAddress = '10.0.0.7'): ProxyEvent => ({
  type: 'connection.opened',
  connectionId,
  t: 1000,
  remoteAddress,
  remotePort: 50123,
  wallTime: Date.now(),
});

const authorize = (connectionId: number, worker: unknown, password = 'p4ss-w0rd'): ProxyEvent => ({
  type: 'stratum.request',
  connectionId,
  t: 1001,
  direction: 'miner_to_pool',
  id: 2,
  method: 'mining.authorize',
  params: [worker, password],
});

const closed = (connectionId: number): ProxyEvent => ({
  type: 'connection.closed',
  connectionId,
  t: 3500,
  durationMs: 2500.4,
  bytesMinerToPool: 321,
  bytesPoolToMiner: 4567,
  side: 'miner',
  reason: 'end',
  error: undefined,
  poolName: 'pool.example:3333',
});

const connectFailed = (connectionId: number, failover: boolean): ProxyEvent => ({
  type: 'upstream.connect_failed',
  connectionId,
  t: 1,
  poolName: 'pool.example:3333',
  poolHost: 'pool.example',
  poolPort: 3333,
  failover,
  reason: 'refused',
  code: 'ECONNREFUSED',
  message: 'connect ECONNREFUSED',
  latencyMs: 1.6,
});

const connected = (connectionId: number, poolName: string, attempt: number): ProxyEvent => ({
  type: 'upstream.connected',
  connectionId,
  t: 2,
  poolName,
  poolHost: poolName.slice(0, poolName.lastIndexOf(':')),
  poolPort: Number(poolName.slice(poolName.lastIndexOf(':') + 1)),
  poolPriority: attempt,
  attempt,
  latencyMs: 3,
});

describe('ConnectionLogger', () => {
  it('logs one info line when a connection opens, with connection_id and remote address', () => {
    const { dest, emit } = setup();
    emit(opened(1));
    expect(dest.json()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'connection opened', connection_id: 1, remote_address: '10.0.0.7', remote_port: 50123 }),
    ]);
  });

  it('logs one info line when it closes, with worker, remote address, duration, bytes, side and reason', () => {
    const { dest, emit } = setup();
    emit(opened(1));
    emit(authorize(1, 'alice.rig1'));
    emit(closed(1));
    const lines = dest.json();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      level: 'info',
      msg: 'connection closed',
      connection_id: 1,
      worker: 'alice.rig1',
      remote_address: '10.0.0.7',
      remote_port: 50123,
      duration_ms: 2500,
      bytes_miner_to_pool: 321,
      bytes_pool_to_miner: 4567,
      side: 'miner',
      reason: 'end',
      pool: 'pool.example:3333',
    });
    expect(lines[1]).not.toHaveProperty('error');
  });

  it('writes worker null when the miner never authorized, and the error when there was one', () => {
    const { dest, emit } = setup();
    emit(opened(5));
    emit({ ...(closed(5) as Extract<ProxyEvent, { type: 'connection.closed' }>), side: 'pool', reason: 'reset', error: 'ECONNRESET' });
    expect(dest.json()[1]).toMatchObject({ worker: null, side: 'pool', reason: 'reset', error: 'ECONNRESET' });
  });

  it('keeps the first worker name of a connection and ignores the pool side and non-string names', () => {
    const { dest, emit } = setup();
    emit(opened(1));
    emit({ ...(authorize(1, 'from-pool') as Extract<ProxyEvent, { type: 'stratum.request' }>), direction: 'pool_to_miner' });
    emit(authorize(1, 42));
    emit(authorize(1, 'first'));
    emit(authorize(1, 'second'));
    emit(closed(1));
    expect(dest.json()[1]).toMatchObject({ worker: 'first' });
  });

  it('caps a very long worker name', () => {
    const { dest, emit } = setup();
    emit(opened(1));
    emit(authorize(1, 'w'.repeat(100_000)));
    emit(closed(1));
    expect((dest.json()[1]?.worker as string).length).toBe(128);
  });

  it('never logs the mining.authorize password, even at trace level', () => {
    const { dest, emit } = setup('trace');
    emit(opened(1));
    emit(authorize(1, 'alice.rig1', 'top-secret-pw'));
    emit(closed(1));
    expect(dest.text()).toContain('alice.rig1');
    expect(dest.text()).not.toContain('top-secret-pw');
  });

  it('logs pool connect failures at warn', () => {
    const { dest, emit } = setup();
    emit(opened(3));
    emit(connectFailed(3, false));
    expect(dest.json()[1]).toMatchObject({
      level: 'warn',
      msg: 'cannot connect to pool',
      connection_id: 3,
      pool: 'pool.example:3333',
      pool_host: 'pool.example',
      pool_port: 3333,
      reason: 'refused',
      code: 'ECONNREFUSED',
      latency_ms: 2,
      failover: false,
    });
  });

  it('says when a failed pool is followed by the next one, and logs the connect after a failover at info', () => {
    const { dest, emit } = setup();
    emit(opened(3));
    emit(connectFailed(3, true));
    emit(connected(3, 'backup.example:3333', 1));
    expect(dest.json().slice(1)).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'cannot use pool: trying the next one', pool: 'pool.example:3333', failover: true }),
      expect.objectContaining({ level: 'info', msg: 'connected to pool after failover', connection_id: 3, pool: 'backup.example:3333', attempt: 1 }),
    ]);
  });

  it('logs a connect to the first pool tried at debug only', () => {
    const info = setup('info');
    info.emit(opened(3));
    info.emit(connected(3, 'pool.example:3333', 0));
    expect(info.dest.json()).toHaveLength(1);
    const debug = setup('debug');
    debug.emit(opened(3));
    debug.emit(connected(3, 'pool.example:3333', 0));
    expect(debug.dest.json()[1]).toMatchObject({ level: 'debug', msg: 'connected to pool', pool: 'pool.example:3333', attempt: 0 });
  });

  it('says why a miner was closed by failback', () => {
    const { dest, emit } = setup();
    emit(opened(4));
    emit({ ...(closed(4) as Extract<ProxyEvent, { type: 'connection.closed' }>), side: 'proxy', reason: 'failback', poolName: 'backup.example:3333' });
    expect(dest.json()[1]).toMatchObject({
      level: 'info',
      msg: 'connection closed to move the miner back to a higher-priority pool',
      pool: 'backup.example:3333',
      side: 'proxy',
      reason: 'failback',
    });
  });

  it('logs a pool going down at warn and coming up at info', () => {
    const { dest, emit } = setup();
    const change = (up: boolean, previous: boolean | null): ProxyEvent => ({
      type: 'pool.state_changed',
      t: 1,
      poolName: 'pool.example:3333',
      priority: 0,
      up,
      previous,
      error: up ? null : 'ECONNREFUSED: connect ECONNREFUSED',
    });
    emit(change(true, null));
    emit(change(false, true));
    emit(change(true, false));
    expect(dest.json()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'pool is up', pool: 'pool.example:3333', priority: 0 }),
      expect.objectContaining({ level: 'warn', msg: 'pool is down', pool: 'pool.example:3333', error: 'ECONNREFUSED: connect ECONNREFUSED' }),
      expect.objectContaining({ level: 'info', msg: 'pool is up again', pool: 'pool.example:3333' }),
    ]);
  });

  it('logs refused connections at warn', () => {
    const { dest, emit } = setup();
    emit({ type: 'connection.rejected', t: 1, remoteAddress: '10.0.0.9', remotePort: 1, reason: 'max_connections' });
    expect(dest.json()).toEqual([expect.objectContaining({ level: 'warn', msg: 'connection refused', reason: 'max_connections' })]);
  });

  it('logs parse errors and oversized lines at debug only', () => {
    const events: ProxyEvent[] = [
      opened(1),
      { type: 'parse.error', connectionId: 1, t: 2, direction: 'miner_to_pool', reason: 'invalid_json', bytes: 12 },
      { type: 'line.oversized', connectionId: 1, t: 3, direction: 'pool_to_miner', bytes: 70_000, limit: 65_536 },
    ];
    const info = setup('info');
    events.forEach(info.emit);
    expect(info.dest.json()).toHaveLength(1);
    const debug = setup('debug');
    events.forEach(debug.emit);
    expect(debug.dest.json().slice(1)).toEqual([
      expect.objectContaining({ level: 'debug', connection_id: 1, direction: 'miner_to_pool', reason: 'invalid_json', bytes: 12 }),
      expect.objectContaining({ level: 'debug', connection_id: 1, direction: 'pool_to_miner', bytes: 70_000, limit: 65_536 }),
    ]);
  });

  it('warns when the pool tells a miner to reconnect elsewhere, as a notification or a request', () => {
    const { dest, emit } = setup();
    emit(opened(1));
    emit(authorize(1, 'farm.rig1'));
    emit({ type: 'stratum.notification', connectionId: 1, t: 5, direction: 'pool_to_miner', method: 'client.reconnect', params: ['eu.pool.example', 3334, 5] });
    emit({ type: 'stratum.request', connectionId: 1, t: 6, direction: 'pool_to_miner', id: 9, method: 'client.reconnect', params: [] });
    emit({ type: 'stratum.notification', connectionId: 1, t: 7, direction: 'miner_to_pool', method: 'client.reconnect', params: ['x', 1] });
    expect(dest.json().slice(1)).toEqual([
      expect.objectContaining({
        level: 'warn',
        connection_id: 1,
        worker: 'farm.rig1',
        host: 'eu.pool.example',
        port: 3334,
        wait_s: 5,
        msg: 'pool told the miner to reconnect to another host: the miner may bypass the proxy from now on',
      }),
      expect.objectContaining({ level: 'warn', connection_id: 1, host: null, port: null, wait_s: null, msg: 'pool told the miner to reconnect' }),
    ]);
  });

  it('ignores byte events and other traffic', () => {
    const { dest, emit } = setup('trace');
    emit({ type: 'bytes', connectionId: 1, t: 1, direction: 'miner_to_pool', bytes: 10 });
    emit({ type: 'stratum.notification', connectionId: 1, t: 1, direction: 'pool_to_miner', method: 'mining.notify', params: [] });
    expect(dest.json()).toEqual([]);
  });

  describe('in a reconnect storm', () => {
    const failedAttempt = (id: number): ProxyEvent[] => [
      opened(id),
      connectFailed(id, false),
      { ...(closed(id) as Extract<ProxyEvent, { type: 'connection.closed' }>), side: 'proxy', reason: 'upstream_failed', error: 'ECONNREFUSED' },
    ];

    it('writes at most 20 lines a second of each kind, then one line saying how many were suppressed', () => {
      const { dest, emit, advance } = setupWithClock();
      for (let id = 1; id <= 1000; id++) failedAttempt(id).forEach(emit);
      const during = dest.json();
      expect(during.filter((l) => l.msg === 'connection opened')).toHaveLength(20);
      expect(during.filter((l) => l.msg === 'cannot connect to pool')).toHaveLength(20);
      expect(during.filter((l) => l.msg === 'connection closed')).toHaveLength(20);
      expect(during).toHaveLength(60);

      advance(1_000);
      const suppressed = dest.json().slice(60);
      expect(suppressed).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ level: 'info', msg: 'connection lines suppressed (rate limit)', kind: 'opened', suppressed: 980, per_second: 20 }),
          expect.objectContaining({ level: 'warn', kind: 'pool_failed:pool.example:3333:refused', suppressed: 980 }),
          expect.objectContaining({ level: 'info', kind: 'closed:proxy:upstream_failed', suppressed: 980 }),
        ]),
      );
      expect(suppressed).toHaveLength(3);

      // The next second starts afresh.
      failedAttempt(1001).forEach(emit);
      expect(dest.json().slice(63).map((l) => l.msg)).toEqual(['connection opened', 'cannot connect to pool', 'connection closed']);
    });

    it('limits each pool, reason and closing side on its own', () => {
      const { dest, emit } = setupWithClock();
      for (let id = 1; id <= 30; id++) {
        emit({ ...(connectFailed(id, false) as Extract<ProxyEvent, { type: 'upstream.connect_failed' }>), poolName: 'a.example:3333' });
        emit({ ...(connectFailed(id, false) as Extract<ProxyEvent, { type: 'upstream.connect_failed' }>), poolName: 'b.example:3333', reason: 'timeout' });
        emit(closed(id));
      }
      const lines = dest.json();
      expect(lines.filter((l) => l.pool === 'a.example:3333')).toHaveLength(20);
      expect(lines.filter((l) => l.pool === 'b.example:3333')).toHaveLength(20);
      expect(lines.filter((l) => l.msg === 'connection closed')).toHaveLength(20);
    });

    it('builds nothing for a level that is off', () => {
      const { dest, emit } = setup('error');
      for (let id = 1; id <= 100; id++) failedAttempt(id).forEach(emit);
      expect(dest.json()).toEqual([]);
    });
  });

  it('writes snake_case keys on every line', () => {
    const { dest, emit } = setup('debug');
    emit(opened(1));
    emit(authorize(1, 'a.1'));
    emit(connectFailed(1, true));
    emit(connected(1, 'backup.example:3333', 1));
    emit({ type: 'parse.error', connectionId: 1, t: 2, direction: 'miner_to_pool', reason: 'invalid_json', bytes: 12 });
    emit({ type: 'stratum.notification', connectionId: 1, t: 5, direction: 'pool_to_miner', method: 'client.reconnect', params: ['h', 1, 5] });
    emit({ type: 'connection.rejected', t: 1, remoteAddress: '10.0.0.9', remotePort: 1, reason: 'max_connections' });
    emit(closed(1));
    const keys = dest.json().flatMap((l) => Object.keys(l));
    expect(keys.length).toBeGreaterThan(40);
    expect(keys.filter((k) => !/^[a-z][a-z0-9_]*$/.test(k))).toEqual([]);
  });

  it('releases per-connection state on close, for thousands of connections', () => {
    const { logger, emit } = setup('silent');
    for (let id = 1; id <= 5000; id++) {
      emit(opened(id));
      emit(authorize(id, `w${id}`));
      if (id % 2 === 0) emit(closed(id));
    }
    expect(logger.trackedConnections).toBe(2500);
    for (let id = 1; id <= 5000; id += 2) emit(closed(id));
    expect(logger.trackedConnections).toBe(0);
  });

  it('subscribes to an event source and stops on detach', () => {
    const { dest, logger } = setup();
    let listener: ProxyEventListener | undefined;
    const source = {
      subscribe(l: ProxyEventListener) {
        listener = l;
        return () => {
          listener = undefined;
        };
      },
    };
    logger.attach(source);
    listener?.(opened(1));
    logger.detach();
    expect(listener).toBeUndefined();
    expect(logger.trackedConnections).toBe(0);
    expect(dest.json()).toHaveLength(1);
  });
});
