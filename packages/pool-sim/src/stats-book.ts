import { REJECT_REASONS, type RejectReason } from './reject-reason';

/** What the pool SENT about one worker's shares. */
export interface WorkerStats {
  accepted: number;
  /** Sum of the difficulty each accepted share was judged at (its share target's difficulty). */
  acceptedDifficulty: number;
  rejected: Record<RejectReason, number>;
  /** Shares judged but whose answer never went on the wire (chaos drop/disconnect, socket gone). */
  dropped: number;
}

/** The pool's ground truth, as served by `pool.stats()` and `GET /stats`. */
export interface PoolStats {
  /** The instance's `name` option (null when unnamed), to tell pools apart. */
  name: string | null;
  workers: Record<string, WorkerStats>;
  totals: WorkerStats;
  sessions: { open: number; total: number };
  bytes: { received: number; sent: number };
  /** Lines that were not JSON or not a request and carried no id, so got no answer. */
  malformedLines: number;
  /** Lines over the line cap, skipped. */
  oversizedLines: number;
  /** Shares whose hash also met the network target (nothing else happens to them). */
  blockCandidates: number;
  tip: { height: number; prevhash: string };
  jobs: { created: number; current: string | null };
  /** Faults switched on through the control API (or the PoolSim methods) right now. */
  faults: PoolFaults;
}

/** The switchable faults of a pool, for failover tests. */
export interface PoolFaults {
  /** Connections are accepted, but nothing is read into the state machine and nothing is written. */
  blackhole: boolean;
  /** No session reads its socket, so the kernel buffers fill and miners see backpressure. */
  pausedReading: boolean;
}

export type ShareOutcome = 'accepted' | RejectReason | 'dropped';

/** Workers tracked by name before the rest are folded under this key. */
const OVERFLOW_WORKER = '~other';

/** Counters with every field at zero. */
export function emptyWorkerStats(): WorkerStats {
  const rejected = {} as Record<RejectReason, number>;
  for (const r of REJECT_REASONS) rejected[r] = 0;
  return { accepted: 0, acceptedDifficulty: 0, rejected, dropped: 0 };
}

/** Counts one share outcome into `w`. */
export function addOutcome(w: WorkerStats, outcome: ShareOutcome, difficulty: number): void {
  if (outcome === 'accepted') {
    w.accepted++;
    w.acceptedDifficulty += difficulty;
  } else if (outcome === 'dropped') {
    w.dropped++;
  } else {
    w.rejected[outcome]++;
  }
}

function copyWorker(w: WorkerStats): WorkerStats {
  return { accepted: w.accepted, acceptedDifficulty: w.acceptedDifficulty, rejected: { ...w.rejected }, dropped: w.dropped };
}

/** Counters only; knows nothing about sockets. */
export class StatsBook {
  private readonly workers = new Map<string, WorkerStats>();
  private readonly totals = emptyWorkerStats();
  sessionsOpen = 0;
  sessionsTotal = 0;
  bytesReceived = 0;
  bytesSent = 0;
  malformedLines = 0;
  oversizedLines = 0;
  blockCandidates = 0;

  constructor(private readonly maxWorkers = 10_000) {}

  recordShare(worker: string, outcome: ShareOutcome, difficulty: number): void {
    addOutcome(this.workerEntry(worker), outcome, difficulty);
    addOutcome(this.totals, outcome, difficulty);
  }

  /** A copy of one worker's counters, or null when the worker is not known by name. */
  worker(name: string): WorkerStats | null {
    const w = this.workers.get(name);
    return w === undefined ? null : copyWorker(w);
  }

  private workerEntry(worker: string): WorkerStats {
    let entry = this.workers.get(worker);
    if (entry === undefined) {
      const key = this.workers.size < this.maxWorkers ? worker : OVERFLOW_WORKER;
      entry = this.workers.get(key);
      if (entry === undefined) {
        entry = emptyWorkerStats();
        this.workers.set(key, entry);
      }
    }
    return entry;
  }

  /** A deep copy, safe to keep or serialize. */
  snapshot(extra: Pick<PoolStats, 'name' | 'tip' | 'jobs' | 'faults'>): PoolStats {
    return {
      name: extra.name,
      // fromEntries defines own properties, so a worker named "__proto__" is just a key.
      workers: Object.fromEntries([...this.workers].map(([k, v]) => [k, copyWorker(v)])),
      totals: copyWorker(this.totals),
      sessions: { open: this.sessionsOpen, total: this.sessionsTotal },
      bytes: { received: this.bytesReceived, sent: this.bytesSent },
      malformedLines: this.malformedLines,
      oversizedLines: this.oversizedLines,
      blockCandidates: this.blockCandidates,
      tip: { ...extra.tip },
      jobs: { ...extra.jobs },
      faults: { ...extra.faults },
    };
  }
}
