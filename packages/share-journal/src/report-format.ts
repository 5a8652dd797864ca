import type { StoredShare } from './journal-rows';
import type { ReportGroup, ShareReport } from './share-report';

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A share as the database names its columns (JSON and CSV speak the same names as SQL). */
function shareRecord(r: StoredShare): Record<string, unknown> {
  return {
    id: r.id,
    time: new Date(r.time).toISOString(),
    worker: r.worker,
    pool: r.pool,
    job_id: r.jobId,
    difficulty: r.difficulty,
    result: r.result,
    reason: r.reason,
    audit: r.audit,
    share_difficulty: r.shareDifficulty,
    block_candidate: r.blockCandidate,
    latency_ms: r.latencyMs,
    connection_id: r.connectionId,
    remote_address: r.remoteAddress,
  };
}

export function formatShares(rows: readonly StoredShare[], format: OutputFormat): string {
  const records = rows.map(shareRecord);
  if (format === 'json') return `${JSON.stringify(records, null, 2)}\n`;
  const columns = ['id', 'time', 'worker', 'pool', 'job_id', 'difficulty', 'result', 'reason', 'audit', 'share_difficulty', 'block_candidate', 'latency_ms', 'connection_id', 'remote_address'];
  const cells = records.map((r) => columns.map((c) => cellText(r[c])));
  return format === 'csv' ? csv(columns, cells) : table(columns, cells);
}

function groupRecord(g: ReportGroup): Record<string, unknown> {
  return {
    group: g.key,
    shares: g.shares,
    accepted: g.accepted,
    rejected: g.rejected,
    rejected_by_reason: g.rejectedByReason,
    timeouts: g.timeouts,
    lost: g.lost,
    accepted_difficulty: g.acceptedDifficulty,
    hashrate_hs: g.hashrate,
    latency_median_ms: g.latencyMedianMs,
    latency_p99_ms: g.latencyP99Ms,
    valid_rejected_ids: g.validRejected,
    invalid_accepted_ids: g.invalidAccepted,
    block_candidate_ids: g.blockCandidates,
  };
}

export function formatReport(report: ShareReport, format: OutputFormat): string {
  const groups = [...report.groups, report.total];
  if (format === 'json') {
    return `${JSON.stringify(
      { from: new Date(report.fromMs).toISOString(), to: new Date(report.toMs).toISOString(), by: report.by, groups: report.groups.map(groupRecord), total: groupRecord(report.total) },
      null,
      2,
    )}\n`;
  }
  if (format === 'csv') {
    const columns = ['group', 'shares', 'accepted', 'rejected', 'rejected_by_reason', 'timeouts', 'lost', 'accepted_difficulty', 'hashrate_hs', 'latency_median_ms', 'latency_p99_ms', 'valid_rejected_ids', 'invalid_accepted_ids', 'block_candidate_ids'];
    return csv(
      columns,
      groups.map((g) => {
        const r = groupRecord(g);
        return columns.map((c) => cellText(c === 'rejected_by_reason' ? reasonsText(g.rejectedByReason) : r[c]));
      }),
    );
  }
  const columns = [report.by ?? 'group', 'shares', 'accepted', 'rejected (reasons)', 'timeouts', 'lost', 'accepted diff', 'hashrate', 'latency p50/p99', 'valid rejected', 'invalid accepted'];
  const cells = groups.map((g) => [
    g.key,
    String(g.shares),
    String(g.accepted),
    g.rejected === 0 ? '0' : `${g.rejected} (${reasonsText(g.rejectedByReason)})`,
    String(g.timeouts),
    String(g.lost),
    compact(g.acceptedDifficulty),
    hashrateText(g.hashrate),
    g.latencyMedianMs === null ? '-' : `${ms(g.latencyMedianMs)}/${ms(g.latencyP99Ms ?? 0)} ms`,
    String(g.validRejected.length),
    String(g.invalidAccepted.length),
  ]);
  const lines = [`shares from ${new Date(report.fromMs).toISOString()} to ${new Date(report.toMs).toISOString()}`, '', table(columns, cells)];
  // The evidence for the pool operator: which rows, so they can be looked up one by one.
  const evidence = groups.filter((g) => g !== report.total || report.groups.length === 0);
  const disputes = evidence.flatMap((g) => [
    ...(g.validRejected.length > 0 ? [`${g.key}: valid shares the pool rejected, ids ${g.validRejected.join(' ')}`] : []),
    ...(g.invalidAccepted.length > 0 ? [`${g.key}: invalid shares the pool accepted, ids ${g.invalidAccepted.join(' ')}`] : []),
    ...(g.blockCandidates.length > 0 ? [`${g.key}: block candidates, ids ${g.blockCandidates.join(' ')}`] : []),
  ]);
  if (disputes.length > 0) lines.push('', 'audit disagreements with the pool (row ids in the shares table):', ...disputes.map((d) => `  ${d}`), '');
  return lines.join('\n');
}

function reasonsText(reasons: Readonly<Record<string, number>>): string {
  return Object.entries(reasons)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason}:${n}`)
    .join(' ');
}

function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function compact(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}

const HASHRATE_UNITS = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'];

export function hashrateText(hs: number): string {
  let v = hs;
  let unit = 0;
  while (v >= 1000 && unit < HASHRATE_UNITS.length - 1) {
    v /= 1000;
    unit++;
  }
  return `${v.toFixed(2)} ${HASHRATE_UNITS[unit]}`;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csv(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const field = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [columns, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}

function table(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...rows.map(line)].join('\n') + '\n';
}
