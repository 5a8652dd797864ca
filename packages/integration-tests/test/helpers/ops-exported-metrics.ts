import { loadConfig } from '@stratum-relay/config';
import { createLogger } from '@stratum-relay/logger';
import { ProxyService } from '@stratum-relay/proxy-service';

/** What a /metrics page declares: metric family → type, and every series name it implies. */
export interface ExportedMetrics {
  readonly families: ReadonlyMap<string, string>;
  /** Counter/gauge names as is; histograms as name_bucket, name_sum, name_count; summaries as name, name_sum, name_count. */
  readonly seriesNames: ReadonlySet<string>;
}

/** Reads the `# TYPE` lines of a Prometheus text exposition. */
export function parseExposition(text: string): ExportedMetrics {
  const families = new Map<string, string>();
  const seriesNames = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (counter|gauge|histogram|summary|untyped)\s*$/.exec(line);
    if (!m) continue;
    const name = m[1] as string;
    const type = m[2] as string;
    families.set(name, type);
    if (type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) seriesNames.add(name + suffix);
    } else if (type === 'summary') {
      for (const suffix of ['', '_sum', '_count']) seriesNames.add(name + suffix);
    } else {
      seriesNames.add(name);
    }
  }
  return { families, seriesNames };
}

/**
 * The /metrics page of a real proxy: a ProxyService (the program's own wiring: ProxyServer,
 * metrics collector, HTTP server, default process metrics) on ephemeral loopback ports, scraped
 * once and shut down. No miner connects, so no pool is needed; every metric family still prints
 * its `# TYPE` line.
 */
export async function scrapeRealProxyMetrics(): Promise<string> {
  const config = loadConfig({
    argv: [],
    env: {
      POOL_HOST: '127.0.0.1',
      POOL_PORT: '1',
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
    },
  });
  const service = new ProxyService({ config, logger: createLogger({ level: 'silent', format: 'json' }) });
  try {
    const addresses = await service.start();
    if (addresses.metrics === null) throw new Error('the proxy started without a metrics HTTP server');
    const res = await fetch(`http://127.0.0.1:${addresses.metrics.port}/metrics`, { signal: AbortSignal.timeout(15_000) });
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    return await res.text();
  } finally {
    await service.shutdown('test');
  }
}
