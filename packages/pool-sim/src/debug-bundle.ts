import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PoolSimOptions } from './options';
import type { CurrentJob, SessionReport } from './pool-sim';
import { MASK } from './trace-mask';
import { traceEntryJson, type TraceEntryJson } from './trace-json';
import type { TraceRing } from './trace-ring';

/** Read once: the bundle says which pool-sim produced it. */
let packageVersion: string | null = null;
function version(): string {
  if (packageVersion === null) {
    try {
      const pkg = JSON.parse(readFileSync(resolve(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };
      packageVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      packageVersion = 'unknown';
    }
  }
  return packageVersion;
}

/** Everything `GET /api/debug/bundle/:session` answers, in one document. */
export interface DebugBundle {
  readonly kind: 'pool-sim-debug-bundle';
  readonly generatedAt: string;
  readonly pool: {
    readonly version: string;
    readonly name: string | null;
    readonly profile: string;
    /** The options in force; the authorize password, if one is required, is masked. */
    readonly options: Readonly<Record<string, unknown>>;
    readonly tip: { readonly height: number; readonly prevhash: string };
    readonly job: CurrentJob | null;
  };
  readonly session: SessionReport['session'];
  readonly stats: { readonly session: SessionReport['session']['shares']; readonly workers: SessionReport['workers'] };
  readonly trace: {
    readonly enabled: boolean;
    /**
     * When the global ring's window starts (ms since the epoch, null if empty): lines of this
     * session older than that were pushed out by newer lines of any session.
     */
    readonly windowStart: number | null;
    readonly entries: readonly TraceEntryJson[];
  };
}

export interface DebugBundleInputs {
  readonly report: SessionReport;
  readonly options: Readonly<PoolSimOptions>;
  readonly tip: { readonly height: number; readonly prevhash: string };
  readonly job: CurrentJob | null;
  readonly trace: TraceRing | null;
  readonly nowMs: number;
}

/** The document an operator attaches when asking why one miner's work went wrong. */
export function buildDebugBundle(i: DebugBundleInputs): DebugBundle {
  const { report, options, trace } = i;
  const entries =
    trace === null ? [] : trace.query({ session: report.session.id, limit: trace.capacity }).map(traceEntryJson);
  return {
    kind: 'pool-sim-debug-bundle',
    generatedAt: new Date(i.nowMs).toISOString(),
    pool: {
      version: version(),
      name: options.name,
      profile: options.profile,
      options: { ...options, password: options.password === null ? null : MASK },
      tip: i.tip,
      job: i.job,
    },
    session: report.session,
    stats: { session: report.session.shares, workers: report.workers },
    trace: { enabled: trace !== null, windowStart: trace?.oldest()?.t ?? null, entries },
  };
}
