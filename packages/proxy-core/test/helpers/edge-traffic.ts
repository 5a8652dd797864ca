import { mulberry32, randInt } from '@stratum-relay/prng';
import { seededBytes } from './prng';

/**
 * One direction's traffic for the TLS and PROXY-protocol relay tests, fixed by `seed`: Stratum lines
 * ending in CRLF or LF, invalid UTF-8 (lone continuation bytes, truncated sequences, 0xff), binary
 * noise, and one 1 MiB random block somewhere in the middle.
 */
export function edgeTraffic(seed: number): Buffer {
  const rand = mulberry32(seed);
  const parts: Buffer[] = [];
  const count = randInt(rand, 40, 80);
  const bigAt = randInt(rand, 0, count - 1);
  for (let i = 0; i < count; i++) {
    if (i === bigAt) parts.push(seededBytes(seed ^ 0x6d1b0001, 1024 * 1024));
    const kind = rand();
    if (kind < 0.4) {
      const eol = rand() < 0.5 ? '\r\n' : '\n';
      parts.push(Buffer.from(`{"id":${randInt(rand, 1, 1e6)},"method":"mining.submit","params":["w.${i}","${randInt(rand, 0, 0xffff).toString(16)}","é€"]}${eol}`, 'utf8'));
    } else if (kind < 0.6) {
      parts.push(Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x0d, 0x0a, 0xe2, 0x82, 0x0a, 0xf0, 0x9f, 0x0d]));
    } else if (kind < 0.8) {
      parts.push(Buffer.from('\r\n\r\r\n\n', 'latin1'));
    } else {
      parts.push(seededBytes(seed + i, randInt(rand, 1, 5000)));
    }
  }
  return Buffer.concat(parts);
}

/** Throws naming the first differing byte, so a failure says where the stream went wrong (not a 1 MiB diff). */
export function expectSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (Buffer.compare(actual, expected) === 0) return;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${what}: first difference at byte ${i} of ${expected.length} (got ${actual[i]}, want ${expected[i]})`);
  }
  throw new Error(`${what}: got ${actual.length} bytes, want ${expected.length}`);
}
