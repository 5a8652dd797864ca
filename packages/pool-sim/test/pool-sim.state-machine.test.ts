import { useFixture } from './helpers/fixture';

describe('pool-sim session state machine', () => {
  const fx = useFixture();

  it('answers subscribe with the two subscriptions, a 4-byte extranonce1 and the extranonce2 size', async () => {
    const { port } = await fx.pool({ extranonce2Size: 8 });
    const c = await fx.client(port);
    const res = await c.request('mining.subscribe', ['cgminer/4.12.0'], 7);
    expect(res.id).toBe(7);
    expect(res.error).toBeNull();
    const [subs, en1, en2Size] = res.result as [[string, string][], string, number];
    expect(subs.map((s) => s[0])).toEqual(['mining.set_difficulty', 'mining.notify']);
    expect(en1).toMatch(/^[0-9a-f]{8}$/);
    expect(en2Size).toBe(8);
  });

  it('rejects authorize before subscribe with error 25', async () => {
    const { port } = await fx.pool();
    const c = await fx.client(port);
    const res = await c.request('mining.authorize', ['w1', 'x']);
    expect(res.result).toBeNull();
    expect((res.error as unknown[])[0]).toBe(25);
  });

  it('rejects a submit before authorize with error 24 and counts it as unauthorized', async () => {
    const { pool, port } = await fx.pool();
    const c = await fx.client(port);
    await c.request('mining.subscribe', []);
    const res = await c.request('mining.submit', ['w1', 'job', '00000000', '00000000', '00000000'], 3);
    expect(res.id).toBe(3);
    expect(res.result).toBe(false);
    expect((res.error as unknown[])[0]).toBe(24);
    expect(pool.stats().workers.w1?.rejected.unauthorized).toBe(1);
  });

  it('sends set_difficulty and then a clean notify right after a successful authorize', async () => {
    const { port } = await fx.pool({ difficulty: 0.0005 });
    const c = await fx.client(port);
    await c.request('mining.subscribe', []);
    const auth = await c.request('mining.authorize', ['w1', 'x'], 2);
    expect(auth).toEqual({ id: 2, result: true, error: null });
    await c.nextNotification('mining.notify');
    const methods = c.messages.slice(c.messages.indexOf(auth) + 1).map((m) => m.method);
    expect(methods).toEqual(['mining.set_difficulty', 'mining.notify']);
    const notify = c.messages.find((m) => m.method === 'mining.notify')!;
    expect(notify.params?.[8]).toBe(true);
    expect(c.messages.find((m) => m.method === 'mining.set_difficulty')?.params).toEqual([0.0005]);
  });

  it('accepts any user by default but enforces a configured password and allowlist', async () => {
    const { port } = await fx.pool({ password: 'secret', allowlist: ['alice'] });
    const c = await fx.client(port);
    await c.request('mining.subscribe', []);
    const wrongPass = await c.request('mining.authorize', ['alice', 'nope'], 1);
    expect((wrongPass.error as unknown[])[0]).toBe(24);
    const notListed = await c.request('mining.authorize', ['bob', 'secret'], 2);
    expect((notListed.error as unknown[])[0]).toBe(24);
    const ok = await c.request('mining.authorize', ['alice', 'secret'], 3);
    expect(ok.result).toBe(true);
  });

  it('answers unknown methods with error 20 "unknown method" and a null result', async () => {
    const { port } = await fx.pool();
    const c = await fx.client(port);
    const res = await c.request('mining.frobnicate', [], 'abc');
    expect(res).toEqual({ id: 'abc', result: null, error: [20, 'unknown method', null] });
  });

  it('answers malformed requests that carry an id with error 20 and ignores and counts lines without one', async () => {
    const { pool, port } = await fx.pool();
    const c = await fx.client(port);
    c.sendRaw('this is not json\n{"no":"method"}\n[1,2]\n');
    c.send({ id: 9, params: [] });
    const res = await c.nextResponse();
    expect(res.id).toBe(9);
    expect((res.error as unknown[])[0]).toBe(20);
    expect(pool.stats().malformedLines).toBe(3);
    // The session survives all of it.
    const sub = await c.request('mining.subscribe', [], 10);
    expect(sub.error).toBeNull();
  });

  it('skips a line over the line cap and keeps serving the session', async () => {
    const { pool, port } = await fx.pool({ maxLineBytes: 1024 });
    const c = await fx.client(port);
    c.sendRaw(`${'x'.repeat(5000)}\n`);
    const sub = await c.request('mining.subscribe', [], 1);
    expect(sub.error).toBeNull();
    expect(pool.stats().oversizedLines).toBe(1);
  });

  it('serves CRLF-terminated requests split across writes and ignores blank lines without counting them', async () => {
    const { pool, port } = await fx.pool();
    const c = await fx.client(port);
    c.sendRaw('\r\n\n{"id":4,"method":"mining.sub');
    c.sendRaw('scribe","params":[]}\r');
    c.sendRaw('\n\r\n');
    const res = await c.nextResponse();
    expect(res.id).toBe(4);
    expect(res.error).toBeNull();
    expect(pool.stats().malformedLines).toBe(0);
  });

  it('skips a line over the line cap that arrives in many writes, answering nothing for it', async () => {
    const { pool, port } = await fx.pool({ maxLineBytes: 1024 });
    const c = await fx.client(port);
    // An id that would be answered if the line were not skipped.
    c.sendRaw(`{"id":1,"method":"mining.subscribe","params":["${'x'.repeat(1500)}`);
    c.sendRaw(`${'y'.repeat(1500)}"]}\r\n`);
    const sub = await c.request('mining.subscribe', [], 2);
    expect(sub.id).toBe(2);
    expect(c.messages.some((m) => m.id === 1)).toBe(false);
    expect(pool.stats().oversizedLines).toBe(1);
    expect(pool.stats().malformedLines).toBe(0);
  });

  it('negotiates version rolling as the intersection of both masks', async () => {
    const { port } = await fx.pool();
    const c = await fx.client(port);
    const res = await c.request(
      'mining.configure',
      [['version-rolling', 'minimum-difficulty'], { 'version-rolling.mask': '00fff000', 'version-rolling.min-bit-count': 2 }],
      1,
    );
    expect(res.result).toEqual({ 'version-rolling': true, 'version-rolling.mask': '00ffe000', 'minimum-difficulty': false });
  });

  it('acknowledges extranonce.subscribe and suggest_difficulty, honoring the suggestion when configured', async () => {
    const { port } = await fx.pool({ honorSuggestDifficulty: true });
    const c = await fx.client(port);
    expect((await c.request('mining.extranonce.subscribe', [], 1)).result).toBe(true);
    expect((await c.request('mining.suggest_difficulty', [0.002], 2)).result).toBe(true);
    const { difficulty } = await c.handshake();
    expect(difficulty).toBe(0.002);
  });

  it.each([
    ['a number', 42],
    ['a string', 'req-1'],
    ['null', null],
  ])('echoes the request id exactly when it is %s', async (_name, id) => {
    const { port } = await fx.pool();
    const c = await fx.client(port);
    c.send({ id, method: 'mining.subscribe', params: [] });
    const res = await c.nextResponse();
    expect(res.id).toEqual(id);
    expect(c.rawLines[0]).toContain(`"id":${JSON.stringify(id)}`);
  });
});
