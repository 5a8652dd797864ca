import type * as net from 'node:net';
import { AccountRewriter, type AccountRewriterState } from './account-rewrite';
import type { UpstreamPool } from './upstream-pools';

/**
 * The miner → pool write path of a pool whose URL carries an account: the one opt-in rewrite.
 * Only used when configured, so the byte-exact path pays nothing for it. The observer still sees
 * the miner's own bytes (metrics keep the miner's worker name); only what the pool receives changes.
 */
export class PoolWriter {
  private readonly rewriter: AccountRewriter;
  private readonly counts: { rewritten: number; unsafe: number };

  constructor(
    private readonly socket: net.Socket,
    pool: UpstreamPool,
    maxLineBytes: number,
  ) {
    this.rewriter = new AccountRewriter({ account: pool.spec.account ?? '', password: pool.spec.password, maxLineBytes });
    this.counts = pool.rewrites ?? { rewritten: 0, unsafe: 0 };
  }

  /** Returns false when the socket asks the writer to wait for 'drain'. */
  write(chunk: Buffer): boolean {
    const stats = this.rewriter.stats;
    const rewritten = stats.rewritten;
    const unsafe = stats.unsafe;
    const out = this.rewriter.push(chunk);
    this.counts.rewritten += stats.rewritten - rewritten;
    this.counts.unsafe += stats.unsafe - unsafe;
    let ok = true;
    for (let i = 0; i < out.length; i++) ok = this.socket.write(out[i] as Buffer);
    return ok;
  }

  /** Handover: the miner bytes held back for an unfinished line (not written to the pool yet). */
  exportState(): AccountRewriterState {
    return this.rewriter.exportState();
  }

  /** Handover: continue from the writer this one replaces (may throw a RangeError). */
  importState(state: AccountRewriterState): void {
    this.rewriter.importState(state);
  }

  /** Flushes a held line tail unchanged, then ends the socket. */
  end(): void {
    for (const chunk of this.rewriter.end()) this.socket.write(chunk);
    this.socket.end();
  }
}
