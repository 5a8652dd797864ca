import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError, ProcessStartError, PrometheusApiError } from './errors';
import { freePort } from './free-port';
import { httpRequest } from './http-get';
import { spawnTracked, type ExitStatus, type TrackedProcess } from './tracked-process';
import { waitForHttpOk } from './wait-for-http-ok';

/** One series of an instant query's answer. */
export interface PrometheusQueryResult {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PrometheusOptions {
  /** The `prometheus` executable (default: `prometheus`, looked up on PATH). */
  readonly bin?: string;
  /** How long /-/ready may take to answer 200 (default 20 s). */
  readonly startTimeoutMs?: number;
}

export interface PrometheusProcess {
  /** The web and API port on 127.0.0.1. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly process: TrackedProcess;
  logs(): string;
  /** Instant query through /api/v1/query; rejects with PrometheusApiError on an API error (bad PromQL, timeout). */
  query(expr: string): Promise<PrometheusQueryResult[]>;
  /** GET on an API path (e.g. `/api/v1/rules`): its `data`; PrometheusApiError unless `status` is `success`, HttpError when the answer is not JSON. */
  api(path: string): Promise<unknown>;
  /** SIGTERM and wait for the exit (SIGKILL after 20 s), then remove the TSDB directory. */
  stop(): Promise<ExitStatus>;
}

interface ApiEnvelope {
  status: string;
  data?: unknown;
  error?: string;
}

/**
 * A real `prometheus` server with `configYaml` as its config file, on a free loopback port,
 * storing its TSDB in a temp dir that `stop()` removes. Resolves once /-/ready answers 200;
 * ProcessStartError (SRL_ERR_IT_PROCESS_START) when it exits or never gets ready.
 */
export async function startPrometheus(configYaml: string, opts: PrometheusOptions = {}): Promise<PrometheusProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'srl-it-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const proc = spawnTracked(
    opts.bin ?? 'prometheus',
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { cwd: dir },
  );
  const stop = async (signal?: NodeJS.Signals): Promise<ExitStatus> => {
    const status = await proc.stop(signal === undefined ? {} : { signal });
    rmSync(dir, { recursive: true, force: true });
    return status;
  };

  const api = async (path: string): Promise<unknown> => {
    const res = await httpRequest(port, path, { timeoutMs: 10_000 });
    let body: ApiEnvelope;
    try {
      body = JSON.parse(res.body) as ApiEnvelope;
    } catch (error) {
      throw new HttpError(`Prometheus ${path} answered ${res.status} without JSON: ${res.body.slice(0, 200)}`, { cause: error });
    }
    if (body.status !== 'success') throw new PrometheusApiError(`Prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const query = async (expr: string): Promise<PrometheusQueryResult[]> => {
    const data = (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as { resultType: string; result: unknown };
    if (data.resultType === 'scalar') {
      const [, v] = data.result as [number, string];
      return [{ metric: {}, value: Number(v) }];
    }
    if (data.resultType !== 'vector') throw new PrometheusApiError(`${expr}: expected an instant vector, got ${data.resultType}`);
    return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  try {
    await waitForHttpOk(proc, port, '/-/ready', { name: 'prometheus', timeoutMs: opts.startTimeoutMs ?? 20_000 });
  } catch (error) {
    await stop('SIGKILL');
    if (error instanceof ProcessStartError) throw error;
    throw new ProcessStartError(`prometheus did not become ready: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { port, url: `http://127.0.0.1:${port}`, process: proc, logs: proc.logs, query, api, stop: () => stop() };
}
