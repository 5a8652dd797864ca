import { createIdGenerator, REUSED_ID } from '@stratum-relay/miner-sim';

describe('request id generators', () => {
  it('numbers requests 1, 2, 3 in increment style', () => {
    const next = createIdGenerator('increment');
    expect([next(), next(), next()]).toEqual([1, 2, 3]);
  });

  it('repeats the same id in reuse style, like cpuminer', () => {
    const next = createIdGenerator('reuse');
    expect([next(), next(), next()]).toEqual([REUSED_ID, REUSED_ID, REUSED_ID]);
    expect(REUSED_ID).toBe(4);
  });

  it('produces numeric strings in string style', () => {
    const next = createIdGenerator('string');
    expect([next(), next()]).toEqual(['1', '2']);
  });

  it('keeps a separate counter per generator', () => {
    const a = createIdGenerator('increment');
    const b = createIdGenerator('increment');
    a();
    a();
    expect(b()).toBe(1);
  });
});
