import { RateLimitedLog, type SuppressedSummary } from '../src/admission/log-limiter';

type Payload = { address: string };
type Line = [string, Payload | SuppressedSummary];

/** A clock and a timer queue the test drives by hand. */
function harness(perSecond?: number, withTimer = false) {
  let t = 5_000;
  const lines: Line[] = [];
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const log = new RateLimitedLog<Payload>({
    ...(perSecond === undefined ? {} : { perSecond }),
    now: () => t,
    emit: (reason, entry) => lines.push([reason, entry]),
    ...(withTimer
      ? {
          schedule: (fn: () => void, delayMs: number) => {
            const timer = { at: t + delayMs, fn, cancelled: false };
            timers.push(timer);
            return () => {
              timer.cancelled = true;
            };
          },
        }
      : {}),
  });
  return {
    log,
    lines,
    pendingTimers: () => timers.filter((x) => !x.cancelled).length,
    /** Move the clock, firing due timers in order. */
    advance(ms: number): void {
      t += ms;
      for (const timer of timers.filter((x) => !x.cancelled && x.at <= t).sort((a, b) => a.at - b.at)) {
        timer.cancelled = true;
        timer.fn();
      }
    },
  };
}

const hit = (i: number): Payload => ({ address: `10.0.0.${i}` });

describe('RateLimitedLog', () => {
  it('lets 5 lines per reason through in a second by default and counts the rest', () => {
    const h = harness();
    for (let i = 0; i < 100; i++) h.log.log('rate', hit(i));
    expect(h.lines).toEqual([0, 1, 2, 3, 4].map((i) => ['rate', hit(i)]));
  });

  it('writes one suppressed summary when the window ends and flush() runs', () => {
    const h = harness(3);
    for (let i = 0; i < 10; i++) h.log.log('per_ip', hit(i));
    h.advance(999);
    h.log.flush();
    expect(h.lines).toHaveLength(3);
    h.advance(1);
    h.log.flush();
    expect(h.lines.slice(3)).toEqual([['per_ip', { suppressed: 7 }]]);
    h.log.flush();
    expect(h.lines).toHaveLength(4);
  });

  it('writes no summary for a window in which nothing was dropped', () => {
    const h = harness(3);
    for (let i = 0; i < 3; i++) h.log.log('rate', hit(i));
    h.advance(5000);
    h.log.flush();
    h.log.close();
    expect(h.lines).toHaveLength(3);
  });

  it('limits each reason on its own', () => {
    const h = harness(2);
    for (let i = 0; i < 5; i++) {
      h.log.log('rate', hit(i));
      h.log.log('not_allowed', hit(i));
    }
    h.advance(1000);
    h.log.flush();
    expect(h.lines).toEqual([
      ['rate', hit(0)],
      ['not_allowed', hit(0)],
      ['rate', hit(1)],
      ['not_allowed', hit(1)],
      ['rate', { suppressed: 3 }],
      ['not_allowed', { suppressed: 3 }],
    ]);
  });

  it('writes the summary lazily on the next line of that reason after the window, then starts a new window', () => {
    const h = harness(2);
    for (let i = 0; i < 4; i++) h.log.log('rate', hit(i));
    h.advance(1500);
    for (let i = 4; i < 8; i++) h.log.log('rate', hit(i));
    expect(h.lines).toEqual([
      ['rate', hit(0)],
      ['rate', hit(1)],
      ['rate', { suppressed: 2 }],
      ['rate', hit(4)],
      ['rate', hit(5)],
    ]);
  });

  it('keeps the output bounded under a sustained flood: perSecond lines plus one summary per second', () => {
    const h = harness(5);
    for (let ms = 0; ms < 10_000; ms++) {
      for (let k = 0; k < 10; k++) h.log.log('rate', hit(k));
      h.advance(1);
      if (ms % 100 === 0) h.log.flush();
    }
    h.log.close();
    const summaries = h.lines.filter(([, e]) => 'suppressed' in e);
    expect(h.lines.length - summaries.length).toBe(50);
    expect(summaries).toHaveLength(10);
    const suppressed = summaries.reduce((sum, [, e]) => sum + (e as SuppressedSummary).suppressed, 0);
    expect(suppressed + 50).toBe(100_000);
  });

  it('on close() writes every pending summary at once and ignores later lines', () => {
    const h = harness(1);
    h.log.log('rate', hit(1));
    h.log.log('rate', hit(2));
    h.log.log('per_ip', hit(3));
    h.log.log('per_ip', hit(4));
    h.log.log('per_ip', hit(5));
    h.log.close();
    h.log.log('rate', hit(6));
    h.advance(5000);
    h.log.flush();
    h.log.close();
    expect(h.lines).toEqual([
      ['rate', hit(1)],
      ['per_ip', hit(3)],
      ['rate', { suppressed: 1 }],
      ['per_ip', { suppressed: 2 }],
    ]);
  });

  describe('with a timer', () => {
    it('writes the summary when the window ends without anyone calling flush()', () => {
      const h = harness(2, true);
      h.log.log('rate', hit(0));
      h.advance(300);
      for (let i = 1; i < 6; i++) h.log.log('rate', hit(i));
      expect(h.pendingTimers()).toBe(1);
      h.advance(699);
      expect(h.lines).toHaveLength(2);
      h.advance(1);
      expect(h.lines.slice(2)).toEqual([['rate', { suppressed: 4 }]]);
      expect(h.pendingTimers()).toBe(0);
    });

    it('schedules nothing while nothing is suppressed', () => {
      const h = harness(5, true);
      for (let i = 0; i < 5; i++) h.log.log('rate', hit(i));
      expect(h.pendingTimers()).toBe(0);
    });

    it('cancels the timer when the summary was already written lazily or by close()', () => {
      const h = harness(1, true);
      h.log.log('rate', hit(0));
      h.log.log('rate', hit(1));
      expect(h.pendingTimers()).toBe(1);
      h.log.close();
      expect(h.pendingTimers()).toBe(0);
      expect(h.lines).toEqual([
        ['rate', hit(0)],
        ['rate', { suppressed: 1 }],
      ]);
    });

    it('does not end a later window when an old timer fires late', () => {
      let t = 0;
      const lines: Line[] = [];
      const fired: (() => void)[] = [];
      const log = new RateLimitedLog<Payload>({
        perSecond: 1,
        now: () => t,
        emit: (reason, entry) => lines.push([reason, entry]),
        // A timer whose cancel is lost: it fires anyway.
        schedule: (fn) => {
          fired.push(fn);
          return () => undefined;
        },
      });
      log.log('rate', hit(0));
      log.log('rate', hit(1)); // window 1 suppresses one: timer scheduled
      t = 1000;
      log.log('rate', hit(2)); // window 1 ends lazily with its summary; window 2 opens
      log.log('rate', hit(3)); // window 2 suppresses one
      fired[0]?.(); // window 1's stale timer
      expect(lines).toEqual([
        ['rate', hit(0)],
        ['rate', { suppressed: 1 }],
        ['rate', hit(2)],
      ]);
      t = 2000;
      log.flush();
      expect(lines.slice(3)).toEqual([['rate', { suppressed: 1 }]]);
    });
  });
});
