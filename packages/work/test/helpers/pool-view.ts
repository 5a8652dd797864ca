import { headerBytesToStratumPrevhash, merkleBranchForCoinbase, parseNotifyParams } from '@stratum-relay/work';
import type { StratumJob } from '@stratum-relay/work';
import type { ParsedBlock } from './block-parser';

export const u32hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

export interface PoolView {
  job: StratumJob;
  extranonce1: string;
  extranonce2: string;
}

export type Cut = 'last 8 bytes of the scriptSig' | 'start of the scriptSig' | 'middle of the scriptSig';
export const CUTS: Cut[] = ['last 8 bytes of the scriptSig', 'start of the scriptSig', 'middle of the scriptSig'];

/**
 * Split a real block into what a pool would send: coinb1 | extranonce1 | extranonce2 | coinb2
 * cut inside the coinbase scriptSig, the coinbase's merkle branch, Stratum-encoded prevhash.
 */
export function asPoolWouldSendIt(block: ParsedBlock, cut: Cut): PoolView {
  const cb = block.txs[0]!;
  const slot = Math.min(8, cb.scriptSigLength);
  // extranonce1 gets the first half of the slot, extranonce2 the rest.
  const en1Len = slot >> 1;
  const cutAt =
    cut === 'last 8 bytes of the scriptSig'
      ? cb.scriptSigLength - slot
      : cut === 'start of the scriptSig'
        ? 0
        : (cb.scriptSigLength - slot) >> 1;
  const a = cb.scriptSigOffset + cutAt;
  const raw = cb.raw;
  const params = [
    'job-1',
    headerBytesToStratumPrevhash(block.prevhash),
    raw.subarray(0, a).toString('hex'),
    raw.subarray(a + slot).toString('hex'),
    merkleBranchForCoinbase(block.txs.slice(1).map((t) => t.txid)).map((b) => b.toString('hex')),
    u32hex(block.version),
    u32hex(block.nbits),
    u32hex(block.ntime),
    true,
  ];
  const job = parseNotifyParams(params);
  if (job === null) throw new Error('parseNotifyParams rejected a job built from a real block');
  return {
    job,
    extranonce1: raw.subarray(a, a + en1Len).toString('hex'),
    extranonce2: raw.subarray(a + en1Len, a + slot).toString('hex'),
  };
}
