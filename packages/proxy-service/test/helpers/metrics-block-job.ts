/**
 * Test-only: real mainnet blocks split into what a pool would send (mining.notify params plus the
 * extranonce1/extranonce2 that reproduce the coinbase), reusing the work package's block parser.
 */
import { headerBytesToStratumPrevhash, merkleBranchForCoinbase } from '@stratum-relay/work';
import { parseBlock } from '../../../work/test/helpers/block-parser';
import { loadMainnetBlocks } from '../../../work/test/helpers/mainnet-blocks';

const u32hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

export interface BlockJob {
  name: string;
  /** mining.notify params for job id `jobId`. */
  notifyParams: unknown[];
  jobId: string;
  extranonce1: string;
  extranonce2: string;
  ntime: string;
  /** The block's real nonce: the share hashes to the block hash. */
  nonce: string;
  /** A nonce that is certainly not the block's. */
  wrongNonce: string;
}

/** Every block of the fixture, with the extranonces cut from the last 8 bytes of the coinbase scriptSig. */
export function mainnetBlockJobs(jobId = 'blk'): BlockJob[] {
  return loadMainnetBlocks().map((b) => {
    const block = parseBlock(b.raw_block_hex);
    const cb = block.txs[0];
    if (cb === undefined) throw new Error(`block ${b.name} has no coinbase`);
    const slot = Math.min(8, cb.scriptSigLength);
    const en1Len = slot >> 1;
    const a = cb.scriptSigOffset + cb.scriptSigLength - slot;
    const raw = cb.raw;
    return {
      name: b.name,
      jobId,
      notifyParams: [
        jobId,
        headerBytesToStratumPrevhash(block.prevhash),
        raw.subarray(0, a).toString('hex'),
        raw.subarray(a + slot).toString('hex'),
        merkleBranchForCoinbase(block.txs.slice(1).map((t) => t.txid)).map((x) => x.toString('hex')),
        u32hex(block.version),
        u32hex(block.nbits),
        u32hex(block.ntime),
        true,
      ],
      extranonce1: raw.subarray(a, a + en1Len).toString('hex'),
      extranonce2: raw.subarray(a + en1Len, a + slot).toString('hex'),
      ntime: u32hex(block.ntime),
      nonce: u32hex(block.nonce),
      wrongNonce: u32hex(block.nonce ^ 0x5a5a5a5a),
    };
  });
}
