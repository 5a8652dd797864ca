import { FAULT_MODES, parseFaultSpec } from '@stratum-relay/miner-sim';
import { mulberry32 } from '@stratum-relay/prng';
import { FaultPlan } from '../src/fault-plan';

describe('parseFaultSpec', () => {
  it.each([
    ['stale', { mode: 'stale', count: 1 }],
    ['stale:3', { mode: 'stale', count: 3 }],
    ['invalid_nonce:0.25', { mode: 'invalid_nonce', probability: 0.25 }],
    ['invalid:1.0', { mode: 'invalid_nonce', probability: 1 }],
    ['dup:.5', { mode: 'duplicate', probability: 0.5 }],
    ['slow-reader:0', { mode: 'slow_reader', probability: 0 }],
    ['DISCONNECT:2', { mode: 'disconnect', count: 2 }],
  ])('parses %s', (text, spec) => {
    expect(parseFaultSpec(text)).toEqual(spec);
  });

  it('knows every mode by its own name', () => {
    for (const m of FAULT_MODES) expect(parseFaultSpec(m).mode).toBe(m);
  });

  it.each(['nope', 'stale:1.5', 'stale:-1', 'stale:abc', 'stale:', 'stale:1:2', ':0.5', 'stale:.'])('rejects %s with SRL_ERR_BAD_FAULT', (text) => {
    expect(() => parseFaultSpec(text)).toThrow(expect.objectContaining({ code: 'SRL_ERR_BAD_FAULT' }));
  });
});

describe('FaultPlan', () => {
  it('fires a counted fault exactly that many times', () => {
    const plan = new FaultPlan([{ mode: 'stale', count: 2 }], Math.random);
    const fired = Array.from({ length: 5 }, () => plan.roll('stale'));
    expect(fired).toEqual([true, true, false, false, false]);
    expect(plan.roll('duplicate')).toBe(false);
  });

  it('fires a probability fault at about that rate (seeded)', () => {
    const plan = new FaultPlan([{ mode: 'invalid_nonce', probability: 0.3 }], mulberry32(99));
    let n = 0;
    for (let i = 0; i < 10_000; i++) if (plan.roll('invalid_nonce')) n++;
    expect(n / 10_000).toBeGreaterThan(0.27);
    expect(n / 10_000).toBeLessThan(0.33);
  });

  it('is disabled and consumes no randomness without specs', () => {
    const rand = jest.fn(() => 0);
    const plan = new FaultPlan([], rand);
    expect(plan.enabled).toBe(false);
    expect(plan.roll('disconnect')).toBe(false);
    expect(rand).not.toHaveBeenCalled();
  });
});
