import { formatDuration } from '@stratum-relay/config';
import { sumBy, sumOf, type PromSample } from './prometheus-text';

/** A pool as /status shows it, the fields `status` prints. */
export interface ReportPool {
  readonly name: string;
  readonly state: string;
  readonly priority: number;
  readonly miners: number;
  readonly address: string;
  readonly lastError: string | null;
}

export interface ReportWorker {
  readonly worker: string;
  readonly rejected: number;
  readonly accepted: number;
}

/** What `stratum-proxy status` shows (and prints with --json). */
export interface StatusReport {
  readonly url: string;
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly pools: readonly ReportPool[];
  readonly miners: number;
  readonly maxConnections: number | null;
  /** Hashes per second implied by the accepted difficulty. */
  readonly hashrate: number;
  /** "since start", or the sample window ("10s"). */
  readonly hashrateOver: string;
  readonly shares: { readonly submitted: number; readonly accepted: number; readonly rejected: number; readonly timedOut: number };
  readonly rejectsByReason: ReadonlyArray<{ readonly reason: string; readonly count: number }>;
  readonly topWorkersByRejects: readonly ReportWorker[];
}

/** sha256d: a share of difficulty 1 takes 2^32 hashes on average. */
const HASHES_PER_DIFFICULTY = 2 ** 32;
export const TOP_WORKERS = 10;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);

/** The remote's /status body, read defensively: an older or newer relay may lack a field. */
function poolsOf(status: Json): ReportPool[] {
  const pools = Array.isArray(status['pools']) ? status['pools'] : [];
  return pools.filter(isObject).map((p) => ({
    name: str(p['name'], '?'),
    state: str(p['state'], 'unknown'),
    priority: num(p['priority']),
    miners: num(p['miners']),
    address: `${p['scheme'] === 'tls' ? 'tls://' : ''}${str(p['host'], '?')}:${num(p['port'])}`,
    lastError: typeof p['lastError'] === 'string' ? p['lastError'] : null,
  }));
}

export interface ReportInput {
  readonly url: string;
  /** The parsed /status body. */
  readonly status: unknown;
  readonly metrics: readonly PromSample[];
  /** An earlier /metrics and how long before: the hashrate is then the rate over that window. */
  readonly earlier?: { readonly metrics: readonly PromSample[]; readonly spanMs: number };
}

/** The report from one /status and one or two /metrics scrapes. Pure. */
export function buildStatusReport(input: ReportInput): StatusReport {
  const status = isObject(input.status) ? input.status : {};
  const m = input.metrics;
  const uptimeSeconds = num(status['uptimeSeconds']);
  const difficulty = sumOf(m, 'stratum_accepted_difficulty_total');
  let hashrate: number;
  let hashrateOver: string;
  if (input.earlier !== undefined && input.earlier.spanMs > 0) {
    const before = sumOf(input.earlier.metrics, 'stratum_accepted_difficulty_total');
    hashrate = (Math.max(0, difficulty - before) * HASHES_PER_DIFFICULTY * 1000) / input.earlier.spanMs;
    hashrateOver = formatDuration(input.earlier.spanMs);
  } else {
    hashrate = uptimeSeconds > 0 ? (difficulty * HASHES_PER_DIFFICULTY) / uptimeSeconds : 0;
    hashrateOver = 'since start';
  }
  const rejectedByWorker = sumBy(m, 'stratum_rejected_shares_total', 'client_id');
  const acceptedByWorker = sumBy(m, 'stratum_accepted_shares_total', 'client_id');
  const topWorkersByRejects = [...rejectedByWorker]
    .filter(([, rejected]) => rejected > 0)
    .map(([worker, rejected]) => ({ worker, rejected, accepted: acceptedByWorker.get(worker) ?? 0 }))
    .sort((a, b) => b.rejected - a.rejected || a.worker.localeCompare(b.worker))
    .slice(0, TOP_WORKERS);
  const rejectsByReason = [...sumBy(m, 'stratum_rejected_shares_total', 'reason')]
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const connections = Array.isArray(status['connections']) ? status['connections'].length : sumOf(m, 'stratum_active_connections');
  const max = m.some((s) => s.name === 'stratum_max_connections') ? sumOf(m, 'stratum_max_connections') : null;
  return {
    url: input.url,
    version: str(status['version'], 'unknown'),
    uptimeSeconds,
    pools: poolsOf(status).sort((a, b) => a.priority - b.priority),
    miners: connections,
    maxConnections: max,
    hashrate,
    hashrateOver,
    shares: {
      submitted: sumOf(m, 'stratum_submits_total'),
      accepted: sumOf(m, 'stratum_accepted_shares_total'),
      rejected: sumOf(m, 'stratum_rejected_shares_total'),
      timedOut: sumOf(m, 'stratum_submit_timeouts_total'),
    },
    rejectsByReason,
    topWorkersByRejects,
  };
}

/** `1.23 TH/s`: SI prefixes as miners write them. */
export function formatHashrate(hps: number): string {
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'];
  let value = hps;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 2)} ${units[unit]}`;
}

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '-');
const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Left-aligned columns, two spaces apart; numbers right-aligned. */
function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The terminal summary. */
export function formatStatusReport(r: StatusReport): string {
  const out: string[] = [];
  out.push(`stratum-relay ${r.version} at ${r.url}, up ${formatUptime(r.uptimeSeconds)}`);
  out.push('');
  out.push(`Pools (${r.pools.filter((p) => p.state === 'up').length} of ${r.pools.length} up):`);
  if (r.pools.length === 0) out.push('  none reported');
  else {
    out.push(
      ...table(
        ['#', 'POOL', 'STATE', 'MINERS', 'ADDRESS', 'LAST ERROR'],
        r.pools.map((p) => [String(p.priority), p.name, p.state, count(p.miners), p.address, p.lastError ?? '']),
        new Set([0, 3]),
      ),
    );
  }
  out.push('');
  out.push(`Miners:    ${count(r.miners)} connected${r.maxConnections === null ? '' : ` (limit ${count(r.maxConnections)})`}`);
  out.push(`Hashrate:  ${formatHashrate(r.hashrate)} (${r.hashrateOver === 'since start' ? 'average since start' : `over the last ${r.hashrateOver}`})`);
  const { submitted, accepted, rejected, timedOut } = r.shares;
  out.push(
    `Shares:    ${count(submitted)} submitted, ${count(accepted)} accepted, ${count(rejected)} rejected (${percent(rejected, accepted + rejected)}), ${count(timedOut)} timed out`,
  );
  out.push('');
  out.push('Rejects by reason:');
  if (r.rejectsByReason.length === 0) out.push('  none');
  else out.push(...table(['REASON', 'SHARES', 'OF REJECTS'], r.rejectsByReason.map((x) => [x.reason, count(x.count), percent(x.count, rejected)]), new Set([1, 2])));
  out.push('');
  out.push(`Top workers by rejects${r.topWorkersByRejects.length === TOP_WORKERS ? ` (first ${TOP_WORKERS})` : ''}:`);
  if (r.topWorkersByRejects.length === 0) out.push('  none');
  else {
    out.push(
      ...table(
        ['WORKER', 'REJECTED', 'ACCEPTED', 'REJECT RATE'],
        r.topWorkersByRejects.map((w) => [w.worker, count(w.rejected), count(w.accepted), percent(w.rejected, w.rejected + w.accepted)]),
        new Set([1, 2, 3]),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
