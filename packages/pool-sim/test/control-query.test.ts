import { DEFAULT_TRACE_LIMIT, MAX_TRACE_LIMIT, parseSessionId, parseTraceQuery } from '../src/control-query';

const q = (s: string): ReturnType<typeof parseTraceQuery> => parseTraceQuery(new URLSearchParams(s));

describe('the control API query parsers', () => {
  it('reads every trace filter and defaults the limit', () => {
    expect(q('')).toEqual({ ok: true, value: { limit: DEFAULT_TRACE_LIMIT } });
    expect(q('session=3&method=mining.submit&direction=pool_to_miner&limit=50&since=1200')).toEqual({
      ok: true,
      value: { session: 3, method: 'mining.submit', direction: 'pool_to_miner', limit: 50, since: 1200 },
    });
    expect(q(`limit=${MAX_TRACE_LIMIT}`)).toEqual({ ok: true, value: { limit: MAX_TRACE_LIMIT } });
  });

  it.each([
    ['session=abc', /session must be a session number/],
    ['session=-1', /session must be a session number/],
    ['session=99999999999', /session must be a session number/],
    ['direction=up', /direction must be one of miner_to_pool, pool_to_miner/],
    ['method=', /method must be 1 to 128 characters/],
    [`method=${'m'.repeat(129)}`, /method must be 1 to 128 characters/],
    ['limit=0', /limit must be an integer from 1 to 10000/],
    ['limit=10001', /limit must be an integer from 1 to 10000/],
    ['limit=1.5', /limit must be an integer/],
    ['since=-3', /since must be an integer/],
    ['sesion=3', /unknown query parameter "sesion"/],
    ['session=1&session=2', /"session" given more than once/],
  ])('refuses %s with a message that says what is wrong', (query, message) => {
    const r = q(query);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('reads a session id of digits only', () => {
    expect(parseSessionId('0')).toEqual({ ok: true, value: 0 });
    expect(parseSessionId('42')).toEqual({ ok: true, value: 42 });
    for (const bad of ['', ' 1', '1e3', '0x1', '%31', '2147483648']) expect(parseSessionId(bad).ok).toBe(false);
  });
});
