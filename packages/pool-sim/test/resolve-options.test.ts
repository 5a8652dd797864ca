import { PoolSim, PROFILES, resolveOptions } from '../src';

describe('resolveOptions', () => {
  it('starts from the easy profile and lets explicit options win', () => {
    const o = resolveOptions({ difficulty: 0.5, port: undefined });
    expect(o.profile).toBe('easy');
    expect(o.difficulty).toBe(0.5);
    expect(o.port).toBe(PROFILES.easy.port);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('uses the realistic profile with vardiff on and a job every 30 s', () => {
    const o = resolveOptions({ profile: 'realistic' });
    expect(o.vardiff).toBe(true);
    expect(o.jobIntervalMs).toBe(30_000);
  });

  it.each([
    ['a negative difficulty', { difficulty: -1 }],
    ['a zero extranonce1 size', { extranonce1Size: 0 }],
    ['a port out of range', { port: 70_000 }],
    ['bad nbits', { nbits: 'xyz' }],
    ['an unknown profile', { profile: 'hard' as never }],
    ['a non-hex extranonce1 prefix', { extranonce1Prefix: 'zz' }],
    ['an extranonce1 prefix leaving no byte free', { extranonce1Size: 2, extranonce1Prefix: 'abc' }],
    ['an empty name', { name: '' }],
    ['a chaos probability over 1', { chaos: { ...PROFILES.chaos.chaos!, dropProbability: 2 } }],
  ])('rejects %s with SRL_ERR_POOL_SIM_OPTIONS', (_name, opts) => {
    expect(() => resolveOptions(opts)).toThrow(expect.objectContaining({ code: 'SRL_ERR_POOL_SIM_OPTIONS' }));
  });

  it('keeps the name and lowercases the extranonce1 prefix', () => {
    const o = resolveOptions({ name: 'primary', extranonce1Prefix: 'AB' });
    expect(o.name).toBe('primary');
    expect(o.extranonce1Prefix).toBe('ab');
    expect(resolveOptions({}).name).toBeNull();
  });

  it('rejects a bad difficulty passed to setDifficulty with a coded error', () => {
    const pool = new PoolSim({ jobIntervalMs: 0 });
    expect(() => pool.setDifficulty(Number.NaN)).toThrow(expect.objectContaining({ code: 'SRL_ERR_POOL_SIM_OPTIONS' }));
  });

  it('builds the same first job for the same seed', () => {
    const a = new PoolSim({ seed: 9 }).stats();
    const b = new PoolSim({ seed: 9 }).stats();
    const c = new PoolSim({ seed: 10 }).stats();
    expect(a.tip).toEqual(b.tip);
    expect(a.jobs.current).toBe(b.jobs.current);
    expect(c.tip.prevhash).not.toBe(a.tip.prevhash);
  });
});
