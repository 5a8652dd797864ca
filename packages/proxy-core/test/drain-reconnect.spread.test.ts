import { clientReconnectLine, ReconnectSpread, reconnectSpreadMs, reconnectsDue, type ReconnectInjection, type SpreadClock } from '../src/drain/drain-reconnect';

/** A clock the test moves by hand: timers run when their time is reached. */
function manualClock(): SpreadClock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => now,
    schedule(fn, delayMs) {
      const timer = { at: now + delayMs, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fn();
      }
      now = until;
    },
    pending: () => timers.length,
  };
}

function recipients(outcomes: readonly ReconnectInjection[], told: number[], clock: SpreadClock) {
  return outcomes.map((outcome, i) => ({
    injectToMiner(line: Buffer): ReconnectInjection {
      expect(line.toString()).toBe('{"id":null,"method":"client.reconnect","params":[]}\n');
      told[i] = clock.now();
      return outcome;
    },
  }));
}

describe('client.reconnect line', () => {
  it('has no parameters without a target, and host and port with one, as one line', () => {
    expect(clientReconnectLine(null).toString()).toBe('{"id":null,"method":"client.reconnect","params":[]}\n');
    expect(clientReconnectLine({ host: 'relay2.example', port: 3334 }).toString()).toBe('{"id":null,"method":"client.reconnect","params":["relay2.example",3334]}\n');
  });
});

describe('reconnectsDue', () => {
  it('sends the first at once and the i-th at i × spread / total', () => {
    expect([0, 99, 100, 250, 999, 1000].map((t) => reconnectsDue(t, 10, 1000))).toEqual([1, 1, 2, 3, 10, 10]);
  });

  it('sends everything at once without a spread, and nothing to nobody', () => {
    expect(reconnectsDue(0, 5, 0)).toBe(5);
    expect(reconnectsDue(0, 0, 1000)).toBe(0);
  });
});

describe('reconnectSpreadMs', () => {
  it('tells miners 10 ms apart, closer only to fit the window', () => {
    expect(reconnectSpreadMs(8, 60_000)).toBe(80);
    expect(reconnectSpreadMs(10_000, 15_000)).toBe(15_000);
    expect(reconnectSpreadMs(10_000, 0)).toBe(0);
  });
});

describe('ReconnectSpread', () => {
  it('tells each recipient once, evenly over the spread, and counts the outcomes', () => {
    const clock = manualClock();
    const told: number[] = [];
    const outcomes: ReconnectInjection[] = ['sent', 'after_line', 'not_relaying', 'sent', 'closing'];
    const spread = new ReconnectSpread(recipients(outcomes, told, clock), clientReconnectLine(null), 500, clock);
    spread.start();
    expect(told).toEqual([0]);
    clock.advance(1_000);
    expect(told).toEqual([0, 100, 200, 300, 400]);
    expect(spread.counts).toEqual({ sent: 2, afterLine: 1, skipped: 2 });
    expect(spread.done).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('batches recipients due within 10 ms into one timer tick', () => {
    const clock = manualClock();
    const told: number[] = [];
    const spread = new ReconnectSpread(recipients(new Array<ReconnectInjection>(1000).fill('sent'), told, clock), clientReconnectLine(null), 1_000, clock);
    spread.start();
    clock.advance(1_000);
    expect(told).toHaveLength(1000);
    expect(new Set(told).size).toBeLessThanOrEqual(101);
    // Never early: the i-th is told at or after i ms.
    told.forEach((at, i) => expect(at).toBeGreaterThanOrEqual(i));
  });

  it('tells nobody else once stopped', () => {
    const clock = manualClock();
    const told: number[] = [];
    const spread = new ReconnectSpread(recipients(['sent', 'sent', 'sent'], told, clock), clientReconnectLine(null), 300, clock);
    spread.start();
    clock.advance(150);
    spread.stop();
    clock.advance(1_000);
    expect(told).toEqual([0, 100]);
    expect(spread.done).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('counts a recipient that throws as skipped and goes on', () => {
    const clock = manualClock();
    const spread = new ReconnectSpread(
      [
        {
          injectToMiner(): ReconnectInjection {
            throw new Error('EPIPE');
          },
        },
        { injectToMiner: (): ReconnectInjection => 'sent' },
      ],
      clientReconnectLine(null),
      0,
      clock,
    );
    spread.start();
    expect(spread.counts).toEqual({ sent: 1, afterLine: 0, skipped: 1 });
  });
});
