#!/usr/bin/env node
'use strict';
// /metrics size per distinct worker name, for sizing MAX_CLIENT_IDS (docs/METRICS.md): the real
// collector on its own registry, N authorized workers on one pool with a difficulty set, then
// the series count and the text size of one scrape. `node bench/metrics-size.js 500 2000`
// (after `pnpm build`).
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { Registry } = require(path.join(ROOT, 'packages/metrics/node_modules/prom-client'));
const { createMetrics } = require(path.join(ROOT, 'packages/metrics/dist/index.js'));
const { MetricsCollector } = require(path.join(ROOT, 'packages/proxy-service/dist/metrics-collector.js'));

async function scrapeWith(workers) {
  const registry = new Registry();
  const metrics = createMetrics(registry, { collectDefault: false });
  const collector = new MetricsCollector({ metrics, maxClientIds: null, submitTimeoutMs: 30_000, shareAudit: true });
  let t = 0;
  const emit = (event) => collector.handle({ t: ++t, ...event });
  for (let id = 1; id <= workers; id++) {
    emit({ type: 'connection.opened', connectionId: id, remoteAddress: '10.0.0.1', remotePort: id, wallTime: Date.now() });
    emit({ type: 'upstream.connected', connectionId: id, poolName: 'pool.example.com:3333', poolHost: 'pool.example.com', poolPort: 3333, poolPriority: 0, attempt: 0, latencyMs: 1 });
    emit({ type: 'stratum.request', connectionId: id, direction: 'miner_to_pool', id: 1, method: 'mining.authorize', params: [`farmaccount.rig${String(id).padStart(5, '0')}`, 'x'] });
    emit({ type: 'stratum.notification', connectionId: id, direction: 'pool_to_miner', method: 'mining.set_difficulty', params: [65536] });
  }
  const text = await registry.metrics();
  collector.detach();
  return { bytes: Buffer.byteLength(text), series: text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#')).length };
}

(async () => {
  const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const base = await scrapeWith(0);
  console.log(`no worker: ${base.series} series, ${(base.bytes / 1e3).toFixed(1)} kB`);
  for (const n of counts.length > 0 ? counts : [500, 2000]) {
    const r = await scrapeWith(n);
    const perWorker = (r.series - base.series) / n;
    const bytesPerSeries = (r.bytes - base.bytes) / (r.series - base.series);
    console.log(`${n} workers: ${r.series} series (${perWorker.toFixed(1)} per worker), ${(r.bytes / 1e6).toFixed(2)} MB per scrape (${bytesPerSeries.toFixed(0)} bytes per worker series)`);
  }
})();
