import {
  HeaderHasher,
  buildCoinbase,
  buildCoinbaseParts,
  difficultyToTarget,
  encodeBip34Height,
  evaluateShare,
  hashDifficulty,
  headerBytesToStratumPrevhash,
  meetsTarget,
  merkleBranchForCoinbase,
  merkleRoot,
  parseNotifyParams,
  sha256d,
} from '@stratum-relay/work';
import { mulberry32, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
import { parseTransaction } from './helpers/block-parser';
import { codeOf } from './helpers/errors';

const P2WPKH = '0014' + '11'.repeat(20);

describe('encodeBip34Height', () => {
  it.each([
    [0, '00'],
    [1, '51'],
    [16, '60'],
    [17, '0111'],
    [127, '017f'],
    [128, '028000'],
    [255, '02ff00'],
    [256, '020001'],
    [32767, '02ff7f'],
    [32768, '03008000'],
    [277647, '038f3c04'],
    [840000, '0340d10c'],
    [8388608, '0400008000'],
  ])('encodes height %p as %s, like Bitcoin Core', (height, hex) => {
    expect(encodeBip34Height(height).toString('hex')).toBe(hex);
  });

  it.each([-1, 1.5, 2 ** 31, NaN])('rejects the height %p with SRL_ERR_BAD_INPUT', (h) => {
    expect(codeOf(() => encodeBip34Height(h))).toBe('SRL_ERR_BAD_INPUT');
  });
});

describe('buildCoinbaseParts', () => {
  const opts = { height: 840000, extranonceSize: 8, valueSats: 312_500_000n, scriptPubKeyHex: P2WPKH, tag: '/stratum-relay/' };

  it('splits a well-formed coinbase transaction around the extranonce slot', () => {
    const { coinb1, coinb2 } = buildCoinbaseParts(opts);
    const en = 'a1a2a3a4b1b2b3b4';
    const raw = buildCoinbase(coinb1, en.slice(0, 8), en.slice(8), coinb2);
    const tx = parseTransaction(raw);
    expect(tx.vinCount).toBe(1);
    expect(raw.subarray(5, 41).toString('hex')).toBe('00'.repeat(32) + 'ffffffff');
    const scriptSig = raw.subarray(tx.scriptSigOffset, tx.scriptSigOffset + tx.scriptSigLength);
    expect(scriptSig.subarray(0, 4).toString('hex')).toBe('0340d10c');
    // The slot is a direct 8-byte push right after the height.
    expect(scriptSig.subarray(4, 13).toString('hex')).toBe('08' + en);
    expect(scriptSig.subarray(13).toString('utf8')).toBe('\x0f/stratum-relay/');
    expect(tx.outputs).toEqual([{ value: 312_500_000n, script: Buffer.from(P2WPKH, 'hex') }]);
    expect(raw.subarray(0, 4).toString('hex')).toBe('01000000');
    expect(raw.subarray(-4).toString('hex')).toBe('00000000');
  });

  it('omits the tag push when no tag is given', () => {
    const { coinb2 } = buildCoinbaseParts({ ...opts, tag: undefined });
    expect(coinb2.startsWith('ffffffff01')).toBe(true);
  });

  it('rejects a scriptSig over 100 bytes, a bad value and bad scriptPubKey hex', () => {
    expect(codeOf(() => buildCoinbaseParts({ ...opts, extranonceSize: 100 }))).toBe('SRL_ERR_BAD_INPUT');
    expect(codeOf(() => buildCoinbaseParts({ ...opts, tag: 'x'.repeat(90) }))).toBe('SRL_ERR_BAD_INPUT');
    expect(codeOf(() => buildCoinbaseParts({ ...opts, valueSats: -1n }))).toBe('SRL_ERR_BAD_INPUT');
    expect(codeOf(() => buildCoinbaseParts({ ...opts, extranonceSize: -2 }))).toBe('SRL_ERR_BAD_INPUT');
    expect(codeOf(() => buildCoinbaseParts({ ...opts, scriptPubKeyHex: '0014zz' }))).toBe('SRL_ERR_BAD_HEX');
  });
});

describe('a job built like a pool builds it', () => {
  it('finds a share at difficulty 1e-6 that evaluateShare validates end to end (seeded)', () => {
    const seed = testSeed();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      const { coinb1, coinb2 } = buildCoinbaseParts({ height: 840001, extranonceSize: 8, valueSats: 312_500_000n, scriptPubKeyHex: P2WPKH, tag: 'srl' });
      const others = Array.from({ length: 1 + Math.floor(rand() * 20) }, () => randomBytes(rand, 32));
      const job = parseNotifyParams([
        'pool-job-1',
        headerBytesToStratumPrevhash(randomBytes(rand, 32)),
        coinb1,
        coinb2,
        merkleBranchForCoinbase(others).map((b) => b.toString('hex')),
        '20000000',
        '1d00ffff',
        '66000000',
        true,
      ]);
      expect(job).not.toBeNull();
      const extranonce1 = '0000002a';
      const extranonce2 = randomBytes(rand, 4).toString('hex');

      const difficulty = 1e-6;
      const hasher = new HeaderHasher(job!, extranonce1, extranonce2);
      const hash = Buffer.allocUnsafe(32);
      let found = -1;
      // ~4096 hashes expected at this difficulty; the bound only stops a broken implementation.
      for (let nonce = 0; nonce < 1_000_000; nonce++) {
        if (hashDifficulty(hasher.hashInto(nonce, hash)) >= difficulty) {
          found = nonce;
          break;
        }
      }
      expect(found).toBeGreaterThanOrEqual(0);

      const r = evaluateShare(job!, { extranonce1, extranonce2, ntime: job!.ntime, nonce: HeaderHasher.nonceHex(found) });
      expect(r.hash.equals(hash)).toBe(true);
      expect(r.difficulty).toBeGreaterThanOrEqual(difficulty);
      expect(meetsTarget(r.hash, difficultyToTarget(difficulty))).toBe(true);
      // The header commits to the full block: coinbase txid + the pool's other txids.
      const coinbaseTxid = sha256d(buildCoinbase(coinb1, extranonce1, extranonce2, coinb2));
      expect(r.header.subarray(36, 68).equals(merkleRoot([coinbaseTxid, ...others]))).toBe(true);
    });
  });
});
