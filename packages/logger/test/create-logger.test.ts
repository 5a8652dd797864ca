import { hostname } from 'node:os';
import { connectionLogger, createLogger } from '@stratum-relay/logger';
import { captureDestination } from './capture';

describe('createLogger', () => {
  it('writes one JSON object per line with the level by name, ISO time, pid, hostname and message', () => {
    const dest = captureDestination();
    createLogger({ level: 'info', format: 'json', destination: dest }).info({ port: 3333 }, 'listening');
    const [line] = dest.json();
    expect(line).toMatchObject({ level: 'info', pid: process.pid, hostname: hostname(), port: 3333, msg: 'listening' });
    expect(typeof line?.time).toBe('string');
    expect(new Date(line?.time as string).toISOString()).toBe(line?.time);
    expect(dest.lines[0]?.endsWith('\n')).toBe(true);
  });

  it('names every level, children included', () => {
    const dest = captureDestination();
    const logger = createLogger({ level: 'trace', format: 'json', destination: dest });
    const child = logger.child({ worker_id: 2 });
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) child[level]('x');
    expect(dest.json().map((l) => [l.level, l.worker_id])).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => [l, 2]));
  });

  it('drops lines below the configured level', () => {
    const dest = captureDestination();
    const logger = createLogger({ level: 'warn', format: 'json', destination: dest });
    logger.info('quiet');
    logger.warn('loud');
    expect(dest.json().map((l) => l.msg)).toEqual(['loud']);
  });

  it('writes nothing at level silent', () => {
    const dest = captureDestination();
    createLogger({ level: 'silent', format: 'json', destination: dest }).fatal('nothing');
    expect(dest.lines).toEqual([]);
  });

  it('writes human-readable text synchronously with format pretty', () => {
    const dest = captureDestination();
    createLogger({ level: 'info', format: 'pretty', destination: dest }).info({ connection_id: 7 }, 'connection opened');
    expect(dest.lines).toHaveLength(1);
    const text = dest.text();
    expect(text).toContain('INFO');
    expect(text).toContain('connection opened');
    expect(text).toContain('connection_id: 7');
    expect(text).not.toContain('hostname');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('binds connection_id on connection loggers', () => {
    const dest = captureDestination();
    const parent = createLogger({ level: 'info', format: 'json', destination: dest });
    connectionLogger(parent, 42).info('hello');
    expect(dest.json()[0]).toMatchObject({ connection_id: 42, msg: 'hello' });
  });

  describe('errors', () => {
    class ListenError extends Error {
      readonly code = 'SRL_ERR_ADDRESS_IN_USE';
      constructor(cause: Error) {
        super('cannot listen on 127.0.0.1:3333: address already in use (PROXY_PORT / --proxy-port)', { cause });
        this.name = 'ListenError';
      }
    }
    const failure = (): Error => new ListenError(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3333'));

    it('logs type, message and code once, without stack or causes, below debug', () => {
      const dest = captureDestination();
      createLogger({ level: 'info', format: 'json', destination: dest }).fatal({ err: failure() }, 'cannot start');
      const [line] = dest.json();
      expect(line?.err).toEqual({ type: 'ListenError', message: 'cannot listen on 127.0.0.1:3333: address already in use (PROXY_PORT / --proxy-port)', code: 'SRL_ERR_ADDRESS_IN_USE' });
      expect(dest.lines).toHaveLength(1);
      expect(dest.text()).not.toContain('EADDRINUSE');
      expect(dest.text()).not.toContain('    at ');
    });

    it('takes the message of an Error logged on its own', () => {
      const dest = captureDestination();
      createLogger({ level: 'info', format: 'json', destination: dest }).error(failure());
      expect(dest.json()[0]).toMatchObject({ msg: failure().message, err: { type: 'ListenError', code: 'SRL_ERR_ADDRESS_IN_USE' } });
      expect(dest.text()).not.toContain('    at ');
    });

    it('keeps the stack and the cause chain at debug, also for a child whose level was raised later', () => {
      const dest = captureDestination();
      const logger = createLogger({ level: 'info', format: 'json', destination: dest });
      const child = logger.child({ worker_id: 1 });
      child.level = 'debug';
      child.error({ error: failure() }, 'drain failed');
      const err = dest.json()[0]?.error as { stack: string; message: string };
      expect(err.stack).toContain('    at ');
      expect(err.stack).toContain('EADDRINUSE');
      logger.error({ error: failure() }, 'drain failed');
      expect(dest.json()[1]?.error).not.toHaveProperty('stack');
    });
  });
});
