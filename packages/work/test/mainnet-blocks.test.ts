import {
  HeaderHasher,
  buildCoinbase,
  buildHeader,
  encodeBip34Height,
  evaluateShare,
  hashToDisplayHex,
  headerBytesToStratumPrevhash,
  merkleRoot,
  merkleRootFromBranch,
  nbitsToTarget,
  sha256d,
  targetToDifficulty,
} from '@stratum-relay/work';
import { parseBlock } from './helpers/block-parser';
import { loadMainnetBlocks } from './helpers/mainnet-blocks';
import { CUTS, asPoolWouldSendIt, u32hex } from './helpers/pool-view';

const blocks = loadMainnetBlocks().map((b) => ({ ...b, parsed: parseBlock(b.raw_block_hex) }));

describe.each(blocks)('mainnet block $name (height $height)', (b) => {
  const block = b.parsed;

  it('parses into the expected number of transactions', () => {
    expect(block.txs).toHaveLength(b.tx_count);
  });

  it('hashes its header to the block hash explorers show', () => {
    expect(hashToDisplayHex(sha256d(block.header))).toBe(b.block_hash_display);
  });

  it('has a header merkle root equal to merkleRoot of its txids', () => {
    expect(merkleRoot(block.txs.map((t) => t.txid)).equals(block.merkleRoot)).toBe(true);
  });

  it('rebuilds its header from Stratum-encoded fields with buildHeader', () => {
    const header = buildHeader({
      version: block.version,
      prevhash: headerBytesToStratumPrevhash(block.prevhash),
      merkleRoot: block.merkleRoot,
      ntime: u32hex(block.ntime),
      nbits: u32hex(block.nbits),
      nonce: u32hex(block.nonce),
    });
    expect(header.equals(block.header)).toBe(true);
  });

  describe.each(CUTS)('split as a Stratum job with the extranonces at the %s', (cut) => {
    const view = asPoolWouldSendIt(block, cut);

    it('reassembles the exact coinbase transaction from coinb1 + extranonces + coinb2', () => {
      const coinbase = buildCoinbase(view.job.coinb1, view.extranonce1, view.extranonce2, view.job.coinb2);
      expect(coinbase.equals(block.txs[0]!.raw)).toBe(true);
    });

    it('gets the header merkle root back from the coinbase hash and the branch', () => {
      const coinbase = buildCoinbase(view.job.coinb1, view.extranonce1, view.extranonce2, view.job.coinb2);
      expect(merkleRootFromBranch(sha256d(coinbase), view.job.merkleBranch).equals(block.merkleRoot)).toBe(true);
    });

    it('evaluates the real nonce as a share that reproduces the block hash and meets the network target', () => {
      const r = evaluateShare(view.job, {
        extranonce1: view.extranonce1,
        extranonce2: view.extranonce2,
        ntime: u32hex(block.ntime),
        nonce: u32hex(block.nonce),
      });
      expect(r.header.equals(block.header)).toBe(true);
      expect(hashToDisplayHex(r.hash)).toBe(b.block_hash_display);
      expect(r.meetsNetworkTarget).toBe(true);
      expect(r.difficulty).toBeGreaterThanOrEqual(targetToDifficulty(nbitsToTarget(u32hex(block.nbits))));
    });

    it('gives a different hash that misses the network target for a wrong nonce', () => {
      const wrong = evaluateShare(view.job, {
        extranonce1: view.extranonce1,
        extranonce2: view.extranonce2,
        ntime: u32hex(block.ntime),
        nonce: u32hex(block.nonce ^ 1),
      });
      expect(hashToDisplayHex(wrong.hash)).not.toBe(b.block_hash_display);
      expect(wrong.meetsNetworkTarget).toBe(false);
    });

    it('hashes the real nonce to the block hash with HeaderHasher', () => {
      const hasher = new HeaderHasher(view.job, view.extranonce1, view.extranonce2);
      expect(hashToDisplayHex(hasher.hash(block.nonce))).toBe(b.block_hash_display);
      expect(hasher.header.equals(block.header)).toBe(true);
      expect(HeaderHasher.nonceHex(block.nonce)).toBe(u32hex(block.nonce));
    });
  });
});

describe('block 277647 (BIP34 era)', () => {
  const b = blocks.find((x) => x.height === 277647)!;

  it('starts its coinbase scriptSig with encodeBip34Height of its height', () => {
    const cb = b.parsed.txs[0]!;
    const push = encodeBip34Height(277647);
    expect(push.toString('hex')).toBe('038f3c04');
    expect(cb.raw.subarray(cb.scriptSigOffset, cb.scriptSigOffset + push.length).equals(push)).toBe(true);
  });

  it('expands its nbits 1903a30c to the compact target and its known difficulty', () => {
    expect(u32hex(b.parsed.nbits)).toBe('1903a30c');
    const expected = BigInt('0x' + '0'.repeat(14) + '03a30c' + '0'.repeat(44));
    expect(nbitsToTarget('1903a30c')).toBe(expected);
    expect(targetToDifficulty(expected)).toBeCloseTo(1180923195.258, 2);
  });
});
