import { CidrList } from '../src/admission/cidr-list';
import { AdmissionError } from '../src/admission/errors';
import { IpAdmission, type IpAdmissionOptions } from '../src/admission/ip-admission';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const NO_LIMITS = { allowFrom: null, maxConnectionsPerIp: null, connectionsPerSecondPerIp: null } as const;
const OK = { ok: true };
const refused = (reason: string): object => ({ ok: false, reason });

function admission(options: Partial<IpAdmissionOptions>, clock = fakeClock()): IpAdmission {
  return new IpAdmission({ ...NO_LIMITS, now: clock.now, ...options });
}

describe('IpAdmission', () => {
  describe('allow-list', () => {
    it('admits addresses inside the list and refuses others as not_allowed', () => {
      const ipa = admission({ allowFrom: new CidrList(['10.0.0.0/8', '::1/128']) });
      expect(ipa.admit('10.1.2.3')).toEqual(OK);
      expect(ipa.admit('::1')).toEqual(OK);
      expect(ipa.admit('192.168.0.1')).toEqual(refused('not_allowed'));
      expect(ipa.admit('::2')).toEqual(refused('not_allowed'));
    });

    it('admits an IPv4-mapped peer whose IPv4 address is listed', () => {
      const ipa = admission({ allowFrom: new CidrList(['127.0.0.0/8']) });
      expect(ipa.admit('::ffff:127.0.0.2')).toEqual(OK);
    });

    it('lets everyone in when the list is null', () => {
      const ipa = admission({ allowFrom: null });
      expect(ipa.admit('203.0.113.1')).toEqual(OK);
      expect(ipa.admit('2001:db8::1')).toEqual(OK);
    });

    it('checks the allow-list before the per-IP cap and the rate', () => {
      const ipa = admission({ allowFrom: new CidrList([]), maxConnectionsPerIp: 1, connectionsPerSecondPerIp: 1 });
      expect(ipa.admit('10.0.0.1')).toEqual(refused('not_allowed'));
      expect(ipa.trackedAddresses).toBe(0);
    });
  });

  describe('per-IP cap', () => {
    it('refuses the connection over the cap as per_ip and admits again after a release', () => {
      const ipa = admission({ maxConnectionsPerIp: 2 });
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
      expect(ipa.openFrom('10.0.0.1')).toBe(2);
      expect(ipa.admit('10.0.0.2')).toEqual(OK);
      ipa.release('10.0.0.1');
      expect(ipa.openFrom('10.0.0.1')).toBe(1);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
    });

    it('counts an IPv4-mapped peer and its IPv4 address as one address', () => {
      const ipa = admission({ maxConnectionsPerIp: 1 });
      expect(ipa.admit('::ffff:10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
      expect(ipa.openFrom('10.0.0.1')).toBe(1);
      ipa.release('10.0.0.1');
      expect(ipa.openFrom('::ffff:10.0.0.1')).toBe(0);
    });

    it('counts without limit when the cap is null', () => {
      const ipa = admission({ maxConnectionsPerIp: null });
      for (let i = 0; i < 1000; i++) expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.openFrom('10.0.0.1')).toBe(1000);
    });

    it('checks the cap before the rate, so a refusal at the cap spends no token', () => {
      const clock = fakeClock();
      const ipa = admission({ maxConnectionsPerIp: 1, connectionsPerSecondPerIp: 1 }, clock);
      expect(ipa.admit('10.0.0.1')).toEqual(OK); // 2 tokens -> 1
      for (let i = 0; i < 10; i++) expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
      ipa.release('10.0.0.1');
      expect(ipa.admit('10.0.0.1')).toEqual(OK); // the last token is still there
    });

    it('ignores a release of an address with nothing open, never going below zero', () => {
      const ipa = admission({ maxConnectionsPerIp: 1 });
      ipa.release('10.0.0.1');
      expect(ipa.openFrom('10.0.0.1')).toBe(0);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      ipa.release('10.0.0.1');
      ipa.release('10.0.0.1');
      expect(ipa.openFrom('10.0.0.1')).toBe(0);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
    });
  });

  describe('rate', () => {
    it('admits a burst of twice the rate at once, then refuses as rate', () => {
      const ipa = admission({ connectionsPerSecondPerIp: 5 });
      for (let i = 0; i < 10; i++) expect([i, ipa.admit('10.0.0.1')]).toEqual([i, OK]);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      expect(ipa.openFrom('10.0.0.1')).toBe(10);
    });

    it('keeps a separate bucket per address', () => {
      const ipa = admission({ connectionsPerSecondPerIp: 1 });
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      expect(ipa.admit('10.0.0.2')).toEqual(OK);
    });

    it('refills continuously at the rate: one token per 1/rate seconds', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 10 }, clock);
      for (let i = 0; i < 20; i++) ipa.admit('10.0.0.1');
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      clock.advance(99);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      clock.advance(1);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      clock.advance(350);
      for (let i = 0; i < 3; i++) expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
    });

    it('refills no further than the burst however long the address was quiet', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 2 }, clock);
      ipa.admit('10.0.0.1');
      clock.advance(3_600_000);
      for (let i = 0; i < 4; i++) expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
    });

    it('spends no token on a refusal, so hammering does not delay the next admission', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 1 }, clock);
      ipa.admit('10.0.0.1');
      ipa.admit('10.0.0.1');
      for (let i = 0; i < 100; i++) {
        clock.advance(9);
        expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      }
      clock.advance(100); // 1000 ms since the bucket emptied
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
    });

    it('still admits one connection at a time below 0.5 per second (the burst is at least 1)', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 0.1 }, clock);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      clock.advance(10_000);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
    });

    it('counts releases apart from the rate: closing a connection gives back no token', () => {
      const ipa = admission({ connectionsPerSecondPerIp: 1 });
      ipa.admit('10.0.0.1');
      ipa.admit('10.0.0.1');
      ipa.release('10.0.0.1');
      ipa.release('10.0.0.1');
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
    });
  });

  describe('reconfigure', () => {
    it('keeps the counts of open connections and applies a lower cap to new ones only', () => {
      const ipa = admission({ maxConnectionsPerIp: 5 });
      for (let i = 0; i < 4; i++) ipa.admit('10.0.0.1');
      ipa.reconfigure({ ...NO_LIMITS, maxConnectionsPerIp: 2 });
      expect(ipa.openFrom('10.0.0.1')).toBe(4);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
      ipa.release('10.0.0.1');
      ipa.release('10.0.0.1');
      expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
      ipa.release('10.0.0.1');
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
    });

    it('keeps counting while limits are off, so a cap turned on later sees the connections already open', () => {
      const ipa = admission({});
      for (let i = 0; i < 3; i++) ipa.admit('10.0.0.1');
      ipa.reconfigure({ ...NO_LIMITS, maxConnectionsPerIp: 3 });
      expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
    });

    it('applies a new allow-list to new connections without dropping the open ones', () => {
      const ipa = admission({});
      ipa.admit('10.0.0.1');
      ipa.reconfigure({ ...NO_LIMITS, allowFrom: new CidrList(['192.168.0.0/16']) });
      expect(ipa.openFrom('10.0.0.1')).toBe(1);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('not_allowed'));
      expect(ipa.admit('192.168.3.4')).toEqual(OK);
      ipa.release('10.0.0.1');
      expect(ipa.openFrom('10.0.0.1')).toBe(0);
    });

    it('keeps a bucket’s level across a rate change, clipped to the new burst', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 10 }, clock);
      for (let i = 0; i < 15; i++) ipa.admit('10.0.0.1'); // 20 -> 5 tokens
      ipa.reconfigure({ ...NO_LIMITS, connectionsPerSecondPerIp: 1 }); // burst 2: 5 -> 2
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      clock.advance(1000);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
    });

    it('starts every address with a full bucket when a rate is turned on', () => {
      const ipa = admission({});
      for (let i = 0; i < 50; i++) ipa.admit('10.0.0.1');
      ipa.reconfigure({ ...NO_LIMITS, connectionsPerSecondPerIp: 1 });
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
      expect(ipa.openFrom('10.0.0.1')).toBe(52);
    });

    it('forgets idle addresses when the rate is turned off', () => {
      const ipa = admission({ connectionsPerSecondPerIp: 1 });
      ipa.admit('10.0.0.1');
      ipa.admit('10.0.0.2');
      ipa.release('10.0.0.1');
      expect(ipa.trackedAddresses).toBe(2);
      ipa.reconfigure({ ...NO_LIMITS });
      expect(ipa.trackedAddresses).toBe(1);
      expect(ipa.openFrom('10.0.0.2')).toBe(1);
    });

    it('still forgets idle addresses once their bucket is full under the new rate', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 1 }, clock);
      for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
        ipa.admit(a);
        ipa.admit(a);
        ipa.release(a);
        ipa.release(a);
      }
      ipa.reconfigure({ ...NO_LIMITS, connectionsPerSecondPerIp: 10 }); // empty buckets of 20: full in 2 s
      clock.advance(1999);
      expect(ipa.trackedAddresses).toBe(3);
      clock.advance(1);
      expect(ipa.trackedAddresses).toBe(0);
    });
  });

  describe('memory', () => {
    it('tracks nothing once every connection is released when there is no rate limit', () => {
      const ipa = admission({ maxConnectionsPerIp: 3 });
      ipa.admit('10.0.0.1');
      ipa.admit('10.0.0.1');
      ipa.admit('2001:db8::1');
      expect(ipa.trackedAddresses).toBe(2);
      ipa.release('10.0.0.1');
      expect(ipa.trackedAddresses).toBe(2);
      ipa.release('10.0.0.1');
      ipa.release('2001:db8::1');
      expect(ipa.trackedAddresses).toBe(0);
    });

    it('keeps a released address only until its bucket is full again', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 2 }, clock);
      ipa.admit('10.0.0.1'); // 4 -> 3 tokens: full again in 500 ms
      ipa.release('10.0.0.1');
      expect(ipa.trackedAddresses).toBe(1);
      clock.advance(499);
      expect(ipa.trackedAddresses).toBe(1);
      clock.advance(1);
      expect(ipa.trackedAddresses).toBe(0);
    });

    it('drops a released address at once when its bucket is already full', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 2 }, clock);
      ipa.admit('10.0.0.1');
      clock.advance(10_000);
      ipa.release('10.0.0.1');
      expect(ipa.trackedAddresses).toBe(0);
    });

    it('does not remember addresses it refused', () => {
      const ipa = admission({ allowFrom: new CidrList(['10.0.0.0/8']), connectionsPerSecondPerIp: 1 });
      for (let i = 0; i < 1000; i++) ipa.admit(`192.168.${i >> 8}.${i & 255}`);
      expect(ipa.trackedAddresses).toBe(0);
    });

    it('does not keep 100k entries after 100k distinct addresses connect and leave without a rate limit', () => {
      const ipa = admission({ maxConnectionsPerIp: 4 });
      for (let i = 0; i < 100_000; i++) {
        const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        if (!ipa.admit(a).ok) throw new Error(`refused ${a}`); // not expect(): 100k of those take seconds
        ipa.release(a);
      }
      expect(ipa.trackedAddresses).toBe(0);
    });

    it('caps idle buckets when 100k distinct addresses connect and leave within one refill time', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 5, maxIdleAddresses: 1000 }, clock);
      for (let i = 0; i < 100_000; i++) {
        const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        if (!ipa.admit(a).ok) throw new Error(`refused ${a}`); // not expect(): 100k of those take seconds
        ipa.release(a);
      }
      expect(ipa.trackedAddresses).toBe(1000);
      clock.advance(2000);
      expect(ipa.trackedAddresses).toBe(0);
    });

    it('stays near the refill window under a steady flood from ever-new addresses', () => {
      const clock = fakeClock();
      const ipa = admission({ connectionsPerSecondPerIp: 1 }, clock); // full again 1 s after release
      let peak = 0;
      for (let i = 0; i < 100_000; i++) {
        clock.advance(1); // 1000 new addresses per second
        const a = `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
        ipa.admit(a);
        ipa.release(a);
        if (i % 1000 === 0) peak = Math.max(peak, ipa.trackedAddresses);
      }
      expect(peak).toBeLessThanOrEqual(1001);
      clock.advance(1000);
      expect(ipa.trackedAddresses).toBe(0);
    });

    it('keeps addresses with open connections however many there are, beyond the idle cap', () => {
      const ipa = admission({ connectionsPerSecondPerIp: 1, maxIdleAddresses: 10 });
      for (let i = 0; i < 100; i++) ipa.admit(`10.0.0.${i}`);
      expect(ipa.trackedAddresses).toBe(100);
      for (let i = 0; i < 100; i++) expect(ipa.openFrom(`10.0.0.${i}`)).toBe(1);
    });

    it('forgets the oldest idle address first when over the cap, which only refills its bucket', () => {
      const ipa = admission({ connectionsPerSecondPerIp: 1, maxIdleAddresses: 2 });
      for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
        ipa.admit(a);
        ipa.admit(a);
        ipa.release(a);
        ipa.release(a);
      }
      expect(ipa.trackedAddresses).toBe(2);
      expect(ipa.admit('10.0.0.1')).toEqual(OK); // forgotten: a fresh bucket
      expect(ipa.admit('10.0.0.3')).toEqual(refused('rate')); // remembered: still empty
    });
  });

  describe('options', () => {
    it.each([
      ['a zero cap', { maxConnectionsPerIp: 0 }],
      ['a fractional cap', { maxConnectionsPerIp: 1.5 }],
      ['a zero rate', { connectionsPerSecondPerIp: 0 }],
      ['a negative rate', { connectionsPerSecondPerIp: -1 }],
      ['an infinite rate', { connectionsPerSecondPerIp: Infinity }],
      ['a NaN rate', { connectionsPerSecondPerIp: NaN }],
      ['a negative idle cap', { maxIdleAddresses: -1 }],
    ])('refuses %s with SRL_ERR_ADMISSION_OPTIONS, at construction and on reconfigure', (_name, bad) => {
      const codeOf = (fn: () => void): unknown => {
        try {
          fn();
        } catch (err) {
          return err instanceof AdmissionError ? err.code : err;
        }
        return 'no error';
      };
      expect(codeOf(() => new IpAdmission({ ...NO_LIMITS, ...bad }))).toBe('SRL_ERR_ADMISSION_OPTIONS');
      const ipa = admission({ maxConnectionsPerIp: 1 });
      ipa.admit('10.0.0.1');
      expect(codeOf(() => ipa.reconfigure({ ...NO_LIMITS, ...bad }))).toBe('SRL_ERR_ADMISSION_OPTIONS');
      // The failed reload left the old limits in place.
      expect(ipa.admit('10.0.0.1')).toEqual(refused('per_ip'));
    });

    it('uses a monotonic clock of its own when none is given', () => {
      const ipa = new IpAdmission({ ...NO_LIMITS, connectionsPerSecondPerIp: 1 });
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(OK);
      expect(ipa.admit('10.0.0.1')).toEqual(refused('rate'));
    });
  });
});
