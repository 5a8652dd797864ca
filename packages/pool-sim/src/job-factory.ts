import { buildCoinbaseParts, merkleBranchForCoinbase, type StratumJob } from '@stratum-relay/work';
import type { ChainTip } from './chain-tip';

/** A job as the pool keeps it: the notify content plus what judging and broadcasting need. */
export interface PoolJob {
  readonly job: StratumJob;
  /** ntime of the job in seconds (the lower bound a share's ntime may take). */
  readonly ntimeSec: number;
  readonly height: number;
  /** Whether the job was created by a tip change (sent with clean_jobs=true). */
  readonly clean: boolean;
  /** The mining.notify line as broadcast (clean_jobs as created), serialized once. */
  readonly notifyLine: Buffer;
  /** The same notify with clean_jobs=true, sent right after authorize. */
  readonly notifyLineClean: Buffer;
}

export interface JobFactoryOptions {
  /** extranonce1 + extranonce2 bytes reserved in the coinbase. */
  readonly extranonceSize: number;
  readonly version: number;
  readonly nbits: string;
  readonly valueSats: bigint;
  readonly scriptPubKeyHex: string;
  readonly tagPrefix: string;
}

function notifyLine(job: StratumJob, clean: boolean): Buffer {
  const params = [
    job.jobId,
    job.prevhash,
    job.coinb1,
    job.coinb2,
    job.merkleBranch,
    job.version,
    job.nbits,
    job.ntime,
    clean,
  ];
  return Buffer.from(`${JSON.stringify({ id: null, method: 'mining.notify', params })}\n`);
}

/**
 * Builds real, hashable jobs: a BIP34 coinbase with the extranonce slot, a merkle branch over
 * the tip's txids. Each job gets its own serial in the coinbase tag, so two jobs on the same
 * tip differ in their merkle root (miners ignore a notify whose header would not change).
 */
export class JobFactory {
  private branchTip: ChainTip | null = null;
  private branch: string[] = [];

  constructor(private readonly options: JobFactoryOptions) {}

  build(tip: ChainTip, jobId: string, serial: number, ntimeSec: number, clean: boolean): PoolJob {
    if (this.branchTip !== tip) {
      // The branch depends only on the tip's txids: compute it once per tip.
      this.branch = merkleBranchForCoinbase(tip.txids).map((b) => b.toString('hex'));
      this.branchTip = tip;
    }
    const o = this.options;
    const { coinb1, coinb2 } = buildCoinbaseParts({
      height: tip.height,
      extranonceSize: o.extranonceSize,
      valueSats: o.valueSats,
      scriptPubKeyHex: o.scriptPubKeyHex,
      tag: `${o.tagPrefix}/${serial}`,
    });
    const job: StratumJob = {
      jobId,
      prevhash: tip.prevhash,
      coinb1,
      coinb2,
      merkleBranch: this.branch.slice(),
      version: (o.version >>> 0).toString(16).padStart(8, '0'),
      nbits: o.nbits,
      ntime: (ntimeSec >>> 0).toString(16).padStart(8, '0'),
      cleanJobs: clean,
    };
    return {
      job,
      ntimeSec,
      height: tip.height,
      clean,
      notifyLine: notifyLine(job, clean),
      notifyLineClean: notifyLine(job, true),
    };
  }
}
