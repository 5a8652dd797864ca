import { isIP } from 'node:net';
import { mulberry32, randInt, randomBytes, testSeed, withSeed, type Prng } from '@stratum-relay/prng';
import { PROXY_V1_MAX_BYTES, parseProxyHeader, type ProxyHeaderResult } from '../src/admission/proxy-protocol';
import { encodeProxyV2 } from './helpers/proxy-header';

const V1_PIECES = [
  'PROXY', ' ', 'TCP4', 'TCP6', 'UNKNOWN', '\r\n', '\r', '\n', '192.0.2.1', '10.0.0.01', '255.255.255.255', '256.1.1.1',
  '::1', '2001:db8::1', '::ffff:10.0.0.1', 'fe80::1%eth0', '1::2::3', '0', '65535', '65536', '01', '3333', '.', ':', '{"id":1}\n',
];

function pick<T>(rand: Prng, items: readonly T[]): T {
  return items[randInt(rand, 0, items.length - 1)] as T;
}

function validV1(rand: Prng): string {
  const v6 = rand() < 0.5;
  const addr = (): string => (v6 ? pick(rand, ['::1', '2001:db8::7', '::ffff:10.0.0.1', 'fe80::a:b']) : `${randInt(rand, 0, 255)}.${randInt(rand, 0, 255)}.0.${randInt(rand, 0, 255)}`);
  if (rand() < 0.15) return 'PROXY UNKNOWN\r\n';
  return `PROXY ${v6 ? 'TCP6' : 'TCP4'} ${addr()} ${addr()} ${randInt(rand, 0, 65535)} ${randInt(rand, 0, 65535)}\r\n`;
}

function validV2(rand: Prng): Buffer {
  const family = pick(rand, [0, 1, 1, 2, 2, 3]);
  const tlvs = rand() < 0.5 ? [] : [{ type: randInt(rand, 0, 255), value: randomBytes(rand, randInt(rand, 0, 40)) }];
  if (family === 3) return encodeProxyV2({ family, addressBlock: randomBytes(rand, 216), tlvs });
  return encodeProxyV2({ command: rand() < 0.2 ? 0 : 1, family, transport: family === 0 ? 0 : 1, sourcePort: randInt(rand, 0, 65535), tlvs });
}

/** Valid headers, mutated headers, v1 token soup and plain random bytes, each with a random tail. */
function fuzzInput(rand: Prng): Buffer {
  const r = rand();
  let input: Buffer;
  if (r < 0.2) input = randomBytes(rand, randInt(rand, 0, 150));
  else if (r < 0.45) {
    const parts: string[] = ['PROXY'];
    for (let n = randInt(rand, 0, 14); n > 0; n--) parts.push(pick(rand, V1_PIECES));
    input = Buffer.from(parts.join(''), 'latin1');
  } else input = rand() < 0.5 ? Buffer.from(validV1(rand), 'latin1') : validV2(rand);
  if (r >= 0.45 && rand() < 0.5) {
    input = Buffer.from(input);
    for (let n = randInt(rand, 1, 3); n > 0; n--) {
      const at = randInt(rand, 0, input.length - 1);
      input[at] = rand() < 0.5 ? randInt(rand, 0, 255) : (input[at] as number) ^ (1 << randInt(rand, 0, 7));
    }
  }
  return Buffer.concat([input, randomBytes(rand, randInt(rand, 0, 20))]);
}

function check(input: Buffer): ProxyHeaderResult {
  const whole = parseProxyHeader(input);
  if (!['incomplete', 'proxied', 'local', 'invalid'].includes(whole.kind)) throw new Error(`unknown kind ${JSON.stringify(whole)}`);
  if (whole.kind === 'proxied' || whole.kind === 'local') {
    if (whole.headerBytes < 1 || whole.headerBytes > input.length) throw new Error(`headerBytes ${whole.headerBytes} of ${input.length}`);
    if (whole.version === 1 && whole.headerBytes > PROXY_V1_MAX_BYTES) throw new Error(`v1 header of ${whole.headerBytes} bytes`);
  }
  if (whole.kind === 'proxied') {
    for (const a of [whole.sourceAddress, whole.destAddress]) if (isIP(a) === 0) throw new Error(`not an address: ${a}`);
    for (const p of [whole.sourcePort, whole.destPort]) if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`bad port ${p}`);
  }
  // However the bytes trickle in, the answer is "incomplete" until it is the final one: no prefix
  // decides differently, and once decided more bytes change nothing.
  const wholeJson = JSON.stringify(whole);
  for (let n = 0; n < input.length; n++) {
    const partial = parseProxyHeader(input.subarray(0, n));
    if (partial.kind !== 'incomplete' && JSON.stringify(partial) !== wholeJson) {
      throw new Error(`prefix of ${n} bytes gives ${JSON.stringify(partial)}, all ${input.length} give ${wholeJson}`);
    }
  }
  return whole;
}

describe('parseProxyHeader on seeded random input', () => {
  it('never throws, always gives one of the four kinds, and gives the same answer however the bytes arrive', () => {
    const seed = testSeed();
    const seen = new Set<string>();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      for (let k = 0; k < 3000; k++) {
        const input = fuzzInput(rand);
        try {
          const result = check(input);
          seen.add(result.kind === 'invalid' ? `invalid:${result.reason}` : `${result.kind}:v${'version' in result ? result.version : ''}`);
        } catch (err) {
          (err as Error).message = `input #${k} ${input.toString('hex')}: ${(err as Error).message}`;
          throw err;
        }
      }
      // The generator really reached every outcome, not just garbage.
      for (const kind of ['incomplete:v', 'proxied:v1', 'proxied:v2', 'local:v1', 'local:v2', 'invalid:bad_signature', 'invalid:bad_line']) {
        expect(seen).toContain(kind);
      }
    });
  });
});
