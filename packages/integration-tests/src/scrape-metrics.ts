import { HttpError } from './errors';
import { httpRequest } from './http-get';
import { parsePrometheusText, type MetricSamples } from './prometheus-text';

/** GET /metrics on `port` and parse it. Rejects with HttpError on a non-200 answer. */
export async function scrapeMetrics(port: number, host = '127.0.0.1'): Promise<MetricSamples> {
  const res = await httpRequest(port, '/metrics', { host, timeoutMs: 10_000 });
  if (res.status !== 200) throw new HttpError(`GET /metrics on ${host}:${port} answered ${res.status}`);
  return parsePrometheusText(res.body);
}
