import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, randInt, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
import type { Prng } from '@stratum-relay/prng';
import { SHA256_IV, compress, compressDigest, compressPad64 } from '../src/sha256-compress';
import { Sha256Hasher, readBlockWords } from '../src/sha256-hasher';

const nodeSha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** Cut points of `n` bytes: every byte alone, odd sizes across block edges, or random. */
function chunking(rand: Prng, n: number, style: number): number[] {
  const cuts: number[] = [];
  if (style === 0) return [n];
  const sizes = [1, 3, 7, 63, 65, 13];
  for (let at = 0; at < n; ) {
    const size = style === 1 ? 1 : style === 2 ? sizes[cuts.length % sizes.length]! : randInt(rand, 0, 130);
    at = Math.min(n, at + size);
    cuts.push(at);
  }
  return cuts;
}

function viaHasher(data: Buffer, cuts: number[]): Buffer {
  const h = new Sha256Hasher();
  let from = 0;
  for (const to of cuts) {
    h.update(data, from, to);
    from = to;
  }
  return h.digest();
}

const stateBytes = (s: Int32Array): Buffer => {
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeInt32BE(s[i]!, i * 4);
  return out;
};

describe('the generated SHA-256 against node:crypto on seeded random input', () => {
  const seed = testSeed();

  it('hashes every length from 0 to 300 bytes alike, whole and in odd chunkings (one byte at a time, 1/3/7/63/65/13, random with empty chunks)', () => {
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      for (let n = 0; n <= 300; n++) {
        const data = randomBytes(rand, n);
        const expected = nodeSha256(data).toString('hex');
        for (let style = 0; style < 4; style++) expect(`${n}/${style}:${viaHasher(data, chunking(rand, n, style)).toString('hex')}`).toBe(`${n}/${style}:${expected}`);
      }
    });
  });

  it('gives compressPad64 and compressDigest the results of compress on the blocks they stand for, from random states', () => {
    withSeed(seed, () => {
      const rand = mulberry32(seed ^ 0x5a5a5a5a);
      const w = new Int32Array(16);
      for (let t = 0; t < 500; t++) {
        const state = new Int32Array(8);
        for (let i = 0; i < 8; i++) state[i] = randInt(rand, 0, 0xffffffff) | 0;

        const pad = new Int32Array(16);
        pad[0] = 0x80000000 | 0;
        pad[15] = 512;
        const viaCompress = state.slice();
        compress(viaCompress, pad);
        const viaPad = state.slice();
        compressPad64(viaPad);
        expect(Array.from(viaPad)).toEqual(Array.from(viaCompress));

        // compressDigest(s) is SHA-256 of the 32 bytes s stands for.
        const viaDigest = state.slice();
        compressDigest(viaDigest);
        expect(stateBytes(viaDigest).toString('hex')).toBe(nodeSha256(stateBytes(state)).toString('hex'));

        // A 64-byte message: one block from the IV, then the padding block.
        const msg = randomBytes(rand, 64);
        readBlockWords(msg, 0, w);
        const s = new Int32Array(8);
        s.set(SHA256_IV);
        compress(s, w);
        compressPad64(s);
        expect(stateBytes(s).toString('hex')).toBe(nodeSha256(msg).toString('hex'));
      }
    });
  });

  it('resumes from a midstate after whole blocks, and refuses one in the middle of a block', () => {
    withSeed(seed, () => {
      const rand = mulberry32(seed ^ 0x1234567);
      const data = randomBytes(rand, 200);
      const mid = new Sha256Hasher().update(data, 0, 128).midstate();
      const s = mid.slice();
      const w = new Int32Array(16);
      const tail = Buffer.alloc(128);
      data.copy(tail, 0, 128);
      tail[72] = 0x80;
      tail.writeUInt32BE(200 * 8, 124);
      readBlockWords(tail, 0, w);
      compress(s, w);
      readBlockWords(tail, 64, w);
      compress(s, w);
      expect(stateBytes(s).toString('hex')).toBe(nodeSha256(data).toString('hex'));
      expect(() => new Sha256Hasher().update(data, 0, 65).midstate()).toThrow(RangeError);
    });
  });

  it('matches the FIPS 180-2 vectors ("abc" and the 448-bit message)', () => {
    expect(new Sha256Hasher().update(Buffer.from('abc')).digest().toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Sha256Hasher().update(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).digest().toString('hex')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
});

describe('sha256-compress.ts', () => {
  it('is what its generator writes (edit the generator, not the file)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { text } = require('../scripts/generate-sha256-compress.js') as { text: string };
    expect(readFileSync(join(__dirname, '..', 'src', 'sha256-compress.ts'), 'utf8') === text).toBe(true);
  });
});
