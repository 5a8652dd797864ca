import { Vardiff, type VardiffSettings } from '../src/vardiff';

const SETTINGS: VardiffSettings = {
  targetShareIntervalMs: 1_000,
  retargetMs: 10_000,
  minDifficulty: 0.001,
  maxDifficulty: 1_000,
  tolerance: 0.3,
};

describe('Vardiff', () => {
  it('proposes nothing before the window ends when the rate is moderate', () => {
    const v = new Vardiff(SETTINGS, 0);
    for (let i = 0; i < 5; i++) v.onShare();
    expect(v.evaluate(1, 5_000)).toBeNull();
  });

  it('raises the difficulty of a miner finding shares too fast, at most 4x per step', () => {
    const v = new Vardiff(SETTINGS, 0);
    for (let i = 0; i < 40; i++) v.onShare();
    // 40 shares in 2 s against one per second: 20x too fast, capped to 4x; early retarget.
    expect(v.evaluate(1, 2_000)).toBe(4);
  });

  it('lowers the difficulty of a miner finding no share in a whole window', () => {
    const v = new Vardiff(SETTINGS, 0);
    expect(v.evaluate(8, 10_000)).toBe(2);
  });

  it('keeps the difficulty when the rate is within tolerance', () => {
    const v = new Vardiff(SETTINGS, 0);
    for (let i = 0; i < 11; i++) v.onShare();
    expect(v.evaluate(1, 10_000)).toBeNull();
  });

  it('clamps to the configured bounds', () => {
    const v = new Vardiff(SETTINGS, 0);
    expect(v.evaluate(0.001, 10_000)).toBeNull();
    const w = new Vardiff(SETTINGS, 0);
    for (let i = 0; i < 100; i++) w.onShare();
    expect(w.evaluate(900, 10_000)).toBe(1_000);
  });

  it('starts a new window after each evaluation', () => {
    const v = new Vardiff(SETTINGS, 0);
    for (let i = 0; i < 10; i++) v.onShare();
    expect(v.evaluate(1, 10_000)).toBeNull();
    expect(v.evaluate(1, 15_000)).toBeNull();
    expect(v.evaluate(1, 20_000)).toBe(0.25);
  });
});
