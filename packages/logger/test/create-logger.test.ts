import { connectionLogger, createLogger } from '@stratum-relay/logger';
import { captureDestination } from './capture';

describe('createLogger', () => {
  it('writes one JSON object per line with level, ISO time, pid and message, without hostname', () => {
    const dest = captureDestination();
    createLogger({ level: 'info', format: 'json', destination: dest }).info({ port: 3333 }, 'listening');
    const [line] = dest.json();
    expect(line).toMatchObject({ level: 30, pid: process.pid, port: 3333, msg: 'listening' });
    expect(typeof line?.time).toBe('string');
    expect(new Date(line?.time as string).toISOString()).toBe(line?.time);
    expect(line).not.toHaveProperty('hostname');
    expect(dest.lines[0]?.endsWith('\n')).toBe(true);
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
    expect(() => JSON.parse(text)).toThrow();
  });

  it('binds connection_id on connection loggers', () => {
    const dest = captureDestination();
    const parent = createLogger({ level: 'info', format: 'json', destination: dest });
    connectionLogger(parent, 42).info('hello');
    expect(dest.json()[0]).toMatchObject({ connection_id: 42, msg: 'hello' });
  });
});
