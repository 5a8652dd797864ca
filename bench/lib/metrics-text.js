'use strict';
// Reads a Prometheus text exposition (the relay's /metrics) into samples, for the benchmark
// scripts. Enough for the relay's own label values (no escaped quotes in them).
const http = require('node:http');

/** GET a path on 127.0.0.1:port: {status, body}. */
function httpGet(port, path, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

/** Samples of `names` (all when omitted) as [{name, labels, value}]. */
function parseMetrics(text, names) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (m === null || (names !== undefined && !names.includes(m[1]))) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * Scrape /metrics once. Returns {samples, sum(name, filter), by(name, label, missing)}: `filter`
 * values are strings (equal) or functions of the label value; `by` maps a label's values to the
 * value, a sample without that label under `missing` (e.g. one process: no `process` label).
 */
async function scrape(port, names) {
  const { status, body } = await httpGet(port, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  const samples = parseMetrics(body, names);
  const match = (s, name, filter) =>
    s.name === name && Object.entries(filter).every(([k, v]) => (typeof v === 'function' ? v(s.labels[k]) : s.labels[k] === v));
  return {
    samples,
    sum: (name, filter = {}) => samples.filter((s) => match(s, name, filter)).reduce((n, s) => n + s.value, 0),
    by: (name, label, missing) => new Map(samples.filter((s) => s.name === name).map((s) => [s.labels[label] ?? missing, s.value])),
  };
}

/** prom-client's monitorEventLoopDelay period (eventLoopMonitoringPrecision, 10 ms by default). */
const ELD_RESOLUTION_S = 0.01;
/**
 * Event-loop lag in ms from a `nodejs_eventloop_lag_p99_seconds` value. The histogram records
 * the time between two of its 10 ms timer ticks, so the period is in every value: subtract it
 * (a tick a little early reads as 0). The histogram is reset at each collection (a scrape, and
 * the primary's own every 5 s), so a value covers the time since the previous one; 0 means no
 * tick since: NaN (no data).
 */
function eventLoopLagMs(p99Seconds) {
  if (!(p99Seconds > 0)) return NaN;
  return Math.max(0, (p99Seconds - ELD_RESOLUTION_S) * 1000);
}

module.exports = { httpGet, parseMetrics, scrape, eventLoopLagMs, ELD_RESOLUTION_S };
