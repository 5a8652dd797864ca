import { deriveSeed, mulberry32, randInt, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';

const take = (prng: () => number, n: number): number[] => Array.from({ length: n }, () => prng());

describe('mulberry32', () => {
  it('gives the same sequence for the same seed', () => {
    expect(take(mulberry32(0x5eed), 1000)).toEqual(take(mulberry32(0x5eed), 1000));
  });

  it('gives the reference first values for seed 1, so recorded seeds keep replaying', () => {
    expect(take(mulberry32(1), 4)).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741]);
  });

  it('reduces the seed to 32 bits', () => {
    expect(take(mulberry32(-1), 8)).toEqual(take(mulberry32(0xffffffff), 8));
    expect(take(mulberry32(2 ** 32 + 7), 8)).toEqual(take(mulberry32(7), 8));
  });

  it.each([0, 1, 42, 0xffffffff])('stays in [0, 1) for seed %i', (seed) => {
    for (const x of take(mulberry32(seed), 100_000)) {
      if (!(x >= 0 && x < 1)) throw new Error(`seed ${seed}: ${x} is outside [0, 1)`);
    }
  });
});

describe('deriveSeed', () => {
  it('is a pure function of the seed and the index', () => {
    expect(deriveSeed(42, 0xe1)).toBe(deriveSeed(42, 0xe1));
    expect(deriveSeed(1, 0)).toBe(920564995);
  });

  it('gives distinct 32-bit seeds, and so distinct streams, for distinct indices and base seeds', () => {
    const seeds = new Set<number>();
    for (let base = 0; base < 16; base++) for (let index = 0; index < 256; index++) seeds.add(deriveSeed(base, index));
    expect(seeds.size).toBe(16 * 256);
    for (const s of seeds) expect(s >>> 0).toBe(s);
    expect(take(mulberry32(deriveSeed(7, 0)), 4)).not.toEqual(take(mulberry32(deriveSeed(7, 1)), 4));
  });

  it('does not hand a stream the base seed itself', () => {
    for (let seed = 0; seed < 1000; seed++) expect(deriveSeed(seed, 0)).not.toBe(seed);
  });
});

describe('testSeed', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('replays the seed from SRL_TEST_SEED, or from the named variable', () => {
    process.env['SRL_TEST_SEED'] = '123456';
    expect(testSeed()).toBe(123456);
    process.env['MY_SEED'] = '99';
    expect(testSeed('MY_SEED')).toBe(99);
  });

  it('draws a fresh 32-bit seed when the variable is unset', () => {
    delete process.env['SRL_TEST_SEED'];
    const s = testSeed();
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});

describe('withSeed', () => {
  it('rethrows the same error with the seed and how to replay it in the message', () => {
    const original = new RangeError('boom');
    let caught: unknown;
    try {
      withSeed(77, () => {
        throw original;
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(original);
    expect((caught as Error).message).toBe('[seed 77; replay with SRL_TEST_SEED=77] boom');
  });

  it('names the variable the seed came from and wraps non-Error throws', () => {
    expect(() =>
      withSeed(
        5,
        () => {
          throw 'plain string';
        },
        'MY_SEED',
      ),
    ).toThrow(new Error('[seed 5; replay with MY_SEED=5] plain string'));
  });

  it('runs the body and returns quietly when it passes', () => {
    const body = jest.fn();
    withSeed(1, body);
    expect(body).toHaveBeenCalledTimes(1);
  });
});

describe('randInt and randomBytes', () => {
  it('draws integers in [min, max] with both ends reachable', () => {
    const prng = mulberry32(3);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(randInt(prng, -2, 3));
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
  });

  it('draws one byte per call to the prng, the same bytes for the same seed', () => {
    expect(randomBytes(mulberry32(1), 4)).toEqual(Buffer.from([160, 0, 135, 251]));
    expect(randomBytes(mulberry32(9), 0)).toHaveLength(0);
    expect(randomBytes(mulberry32(9), 1000)).toEqual(randomBytes(mulberry32(9), 1000));
  });
});
