import { connectionLogger, createLogger, REDACTED, redactSecrets, redactStratumParams, redactStratumText, type Logger } from '@stratum-relay/logger';
import { captureDestination } from './capture';

const PASSWORD = 'hunter2-s3cr3t';
const authorize = { id: 2, method: 'mining.authorize', params: ['alice.rig1', PASSWORD] };
const line = JSON.stringify(authorize);

describe('redactStratumParams', () => {
  it('replaces the password of mining.authorize and keeps the worker name', () => {
    expect(redactStratumParams('mining.authorize', ['alice.rig1', PASSWORD])).toEqual(['alice.rig1', REDACTED]);
  });

  it('returns the same array for other methods and for an authorize without a password', () => {
    const submit = ['alice.rig1', 'job', '00', '5f', 'ab'];
    expect(redactStratumParams('mining.submit', submit)).toBe(submit);
    const bare = ['alice.rig1'];
    expect(redactStratumParams('mining.authorize', bare)).toBe(bare);
  });
});

describe('redactStratumText', () => {
  it.each([
    line,
    `${line}\n`,
    '{"params": [ "alice.rig1" , "hunter2-s3cr3t" ], "id": 2, "method": "mining.authorize"}',
    `{"id":1,"method":"mining.subscribe","params":[]}\n${line}\n{"id":3,"method":"mining.submit","params":["a","b"]}`,
    '{"id":2,"method":"mining.authorize","params":["alice.rig1","hunter2-s3cr3t"',
    JSON.stringify({ raw: line }),
    '{"id":2,"method":"mining.authorize","params":["a\\"b","hunter2-s3cr3t"]}',
  ])('removes the password from %j', (text) => {
    const out = redactStratumText(text);
    expect(out).not.toContain(PASSWORD);
    expect(out).toContain('mining.authorize');
  });

  it('leaves lines of other methods untouched', () => {
    const submit = '{"id":3,"method":"mining.submit","params":["alice.rig1","hunter2-s3cr3t"]}';
    expect(redactStratumText(submit)).toBe(submit);
  });
});

describe('redactSecrets', () => {
  it('returns the very same object when there is nothing to redact', () => {
    const event = { type: 'stratum.request', method: 'mining.submit', params: ['w', 'j'] };
    expect(redactSecrets(event)).toBe(event);
  });

  it('copies instead of mutating the object it was given', () => {
    const message = { method: 'mining.authorize', params: ['w', PASSWORD] };
    const out = redactSecrets({ message }) as { message: { params: unknown[] } };
    expect(out.message.params).toEqual(['w', REDACTED]);
    expect(message.params[1]).toBe(PASSWORD);
  });
});

describe('a logger at trace level never writes a mining.authorize password', () => {
  type Way = [string, (logger: Logger) => void];
  const event = { type: 'stratum.request', connectionId: 1, t: 1, direction: 'miner_to_pool', id: 2, method: 'mining.authorize', params: ['alice.rig1', PASSWORD] };
  const ways: Way[] = [
    ['as msg', (l) => l.trace({ msg: authorize })],
    ['under message', (l) => l.debug({ message: authorize }, 'got')],
    ['under request', (l) => l.info({ request: authorize }, 'got')],
    ['as a ProxyEvent under event', (l) => l.trace({ event }, 'event')],
    ['as the merge object itself', (l) => l.trace(authorize)],
    ['as the raw line', (l) => l.trace({ line }, 'line')],
    ['as a raw Buffer', (l) => l.trace({ chunk: Buffer.from(`${line}\n`) }, 'chunk')],
    ['inside the message string', (l) => l.warn(`bad line ${line}`)],
    ['as a printf argument', (l) => l.error('bad line %s', line)],
    ['as a printf object argument', (l) => l.error('bad message %j', authorize)],
    ['nested in arrays', (l) => l.trace({ batch: [[authorize]] }, 'batch')],
    ['inside an Error message', (l) => l.error({ err: new Error(`cannot parse ${line}`) }, 'parse failed')],
    ['in child bindings', (l) => l.child({ request: authorize }).info('child')],
    ['in grandchild bindings', (l) => l.child({ a: 1 }).child({ request: authorize }).info('grandchild')],
    ['through a connection logger', (l) => connectionLogger(l, 9).trace({ request: authorize }, 'conn')],
  ];

  it.each(ways)('when logged %s (json)', (_name, log) => {
    const dest = captureDestination();
    log(createLogger({ level: 'trace', format: 'json', destination: dest }));
    expect(dest.lines.length).toBeGreaterThan(0);
    expect(dest.text()).not.toContain(PASSWORD);
  });

  it.each(ways)('when logged %s (pretty)', (_name, log) => {
    const dest = captureDestination();
    log(createLogger({ level: 'trace', format: 'pretty', destination: dest }));
    expect(dest.lines.length).toBeGreaterThan(0);
    expect(dest.text()).not.toContain(PASSWORD);
  });

  it('still logs the worker name', () => {
    const dest = captureDestination();
    createLogger({ level: 'trace', format: 'json', destination: dest }).info({ request: authorize }, 'authorize');
    expect(dest.json()[0]).toMatchObject({ request: { method: 'mining.authorize', params: ['alice.rig1', REDACTED] } });
  });
});
