import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import * as config from '@stratum-relay/config';
import { createClusterMetrics, createMetrics } from '@stratum-relay/metrics';
import { createJournalMetrics } from '@stratum-relay/share-journal';

// The docs are part of the product: a renamed option or metric must break the build.
const ROOT = join(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderTable, withTable } = require(join(ROOT, 'scripts', 'config-table.js')) as {
  renderTable(c: typeof config): string;
  withTable(readme: string, table: string): string;
};

/** Every family a relay exports, plus the primary's own with WORKERS > 1. */
async function exportedStratumMetrics(): Promise<string[]> {
  const registry = new Registry();
  // With the families only SHARE_AUDIT=rejected|sample registers.
  createMetrics(registry, { collectDefault: false }).enableShareAuditSample(0.01);
  createClusterMetrics(registry, { collectDefault: false });
  // With SHARE_JOURNAL set.
  createJournalMetrics(registry, () => 0);
  const text = await registry.metrics();
  return [...text.matchAll(/^# TYPE (stratum_\w+) /gm)].map((m) => m[1] as string);
}

describe('documentation stays current with the code', () => {
  it('has the README configuration table exactly as generated from the config options', () => {
    const readme = read('README.md');
    expect(withTable(readme, renderTable(config))).toBe(readme);
  });

  it('documents every exported stratum_* metric in docs/METRICS.md and the README', async () => {
    const names = await exportedStratumMetrics();
    expect(names.length).toBeGreaterThan(20);
    const metricsDoc = read('docs/METRICS.md');
    const readme = read('README.md');
    for (const name of names) {
      expect({ name, inMetricsDoc: metricsDoc.includes(`\`${name}\``) }).toEqual({ name, inMetricsDoc: true });
      expect({ name, inReadme: readme.includes(name) }).toEqual({ name, inReadme: true });
    }
  });

  it('mentions no stratum_* metric in the docs that the proxy does not export', async () => {
    const exported = new Set(await exportedStratumMetrics());
    const withSuffixes = (n: string): string => n.replace(/_(bucket|sum|count)$/, '');
    for (const file of ['README.md', 'docs/METRICS.md']) {
      const mentioned = new Set([...read(file).matchAll(/\bstratum_[a-z_]+[a-z]\b/g)].map((m) => withSuffixes(m[0])));
      for (const name of mentioned) expect({ file, name, exported: exported.has(name) }).toEqual({ file, name, exported: true });
    }
  });

  it('runs in CI exactly the test command the README gives', () => {
    const readme = read('README.md');
    const ci = read('.ci/run');
    expect(readme).toContain('bash scripts/test.sh');
    expect(ci).toMatch(/^bash scripts\/test\.sh\b/m);
  });
});
