import { merkleBranchForCoinbase, merkleRoot, merkleRootFromBranch, sha256d } from '@stratum-relay/work';
import { mulberry32, randomBytes, testSeed, withSeed } from '@stratum-relay/prng';
import { codeOf } from './helpers/errors';

describe('merkle', () => {
  it('gives the txid itself as the root of a one-transaction block, with an empty branch', () => {
    const txid = sha256d(Buffer.from('coinbase'));
    expect(merkleBranchForCoinbase([])).toEqual([]);
    expect(merkleRoot([txid]).equals(txid)).toBe(true);
    expect(merkleRootFromBranch(txid, []).equals(txid)).toBe(true);
  });

  it('hashes the concatenated pair for two transactions and duplicates the last of three', () => {
    const [a, b, c] = [1, 2, 3].map((i) => sha256d(Buffer.from([i]))) as [Buffer, Buffer, Buffer];
    expect(merkleRoot([a, b]).equals(sha256d(Buffer.concat([a, b])))).toBe(true);
    const ab = sha256d(Buffer.concat([a, b]));
    const cc = sha256d(Buffer.concat([c, c]));
    expect(merkleRoot([a, b, c]).equals(sha256d(Buffer.concat([ab, cc])))).toBe(true);
    expect(merkleBranchForCoinbase([b, c]).map((x) => x.toString('hex'))).toEqual([b.toString('hex'), cc.toString('hex')]);
  });

  it('folds the coinbase branch to the full merkle root for 1 to 70 transactions (seeded)', () => {
    const seed = testSeed();
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      for (let n = 1; n <= 70; n++) {
        const txids = Array.from({ length: n }, () => randomBytes(rand, 32));
        const branch = merkleBranchForCoinbase(txids.slice(1)).map((b) => b.toString('hex'));
        expect(branch).toHaveLength(Math.ceil(Math.log2(n)));
        expect(merkleRootFromBranch(txids[0]!, branch).equals(merkleRoot(txids))).toBe(true);
      }
    });
  });

  it('does not modify the txids it is given', () => {
    const txids = [1, 2, 3].map((i) => sha256d(Buffer.from([i])));
    const copy = txids.map((t) => Buffer.from(t));
    merkleRoot(txids);
    merkleBranchForCoinbase(txids);
    expect(txids).toEqual(copy);
  });

  it('rejects an empty transaction list and wrong-sized hashes with SRL_ERR_BAD_INPUT', () => {
    expect(codeOf(() => merkleRoot([]))).toBe('SRL_ERR_BAD_INPUT');
    expect(codeOf(() => merkleRoot([Buffer.alloc(31)]))).toBe('SRL_ERR_BAD_INPUT');
    expect(codeOf(() => merkleBranchForCoinbase([Buffer.alloc(33)]))).toBe('SRL_ERR_BAD_INPUT');
    expect(codeOf(() => merkleRootFromBranch(Buffer.alloc(16), []))).toBe('SRL_ERR_BAD_INPUT');
  });

  it('rejects a malformed branch entry with SRL_ERR_BAD_HEX', () => {
    const cb = Buffer.alloc(32);
    expect(codeOf(() => merkleRootFromBranch(cb, ['00'.repeat(31)]))).toBe('SRL_ERR_BAD_HEX');
    expect(codeOf(() => merkleRootFromBranch(cb, ['zz'.repeat(32)]))).toBe('SRL_ERR_BAD_HEX');
  });
});
