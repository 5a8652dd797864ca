import { headerBytesToStratumPrevhash } from '@stratum-relay/work';
import { randomBytes, type Prng } from '@stratum-relay/prng';

/** The simulated best block the pool builds work on. */
export interface ChainTip {
  readonly height: number;
  /** mining.notify encoding (each 4-byte word byte-swapped). */
  readonly prevhash: string;
  /** The non-coinbase txids of the block template, internal byte order. */
  readonly txids: readonly Buffer[];
}

/**
 * A fake chain: every `advance()` moves to the next height with a fresh pseudo-random
 * prevhash and a fresh set of pseudo-random txids, all drawn from the seeded PRNG, so
 * the same seed gives the same sequence of tips.
 */
export class SimulatedChain {
  private current: ChainTip;

  constructor(
    private readonly prng: Prng,
    startHeight: number,
    private txCount: number,
  ) {
    this.current = this.makeTip(startHeight);
  }

  get tip(): ChainTip {
    return this.current;
  }

  /** Transactions per block from the next tip on (a profile switch); the current tip keeps its own. */
  setTxCount(txCount: number): void {
    this.txCount = txCount;
  }

  advance(): ChainTip {
    this.current = this.makeTip(this.current.height + 1);
    return this.current;
  }

  private makeTip(height: number): ChainTip {
    const prevhashBytes = randomBytes(this.prng, 32);
    // Real prevhashes start with zero bytes (display order); keep the look without meaning anything by it.
    prevhashBytes.fill(0, 28, 32);
    const txids: Buffer[] = [];
    for (let i = 0; i < this.txCount; i++) txids.push(randomBytes(this.prng, 32));
    return { height, prevhash: headerBytesToStratumPrevhash(prevhashBytes), txids };
  }
}
