import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './ops-paths';
import { freePort } from './ops-ports';
import { requireTool } from './ops-promtool';

/** A child process with its recent output kept for failure messages. */
export interface RunningChild {
  readonly child: ChildProcess;
  /** Last ~16 KiB of stdout+stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

function track(child: ChildProcess): RunningChild {
  let out = '';
  const keep = (chunk: Buffer): void => {
    out = (out + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once('exit', () => resolveExit());
  });
  return {
    child,
    output: () => out,
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        timer.unref();
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `check` every 100 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, context?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}${context ? `\n--- output ---\n${context()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function httpOk(url: string): Promise<true | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.status === 200 ? true : undefined;
}

export interface ProxyProcess extends RunningChild {
  readonly proxyPort: number;
  readonly metricsPort: number;
}

/**
 * The built program, `node packages/proxy-service/bin/stratum-proxy.js`, configured through
 * environment variables like an operator would, on loopback ports picked beforehand (the bin
 * does not report a metrics port chosen by the OS). Resolves once /readyz answers 200.
 */
export async function startProxyProcess(poolPort: number): Promise<ProxyProcess> {
  const bin = join(REPO_ROOT, 'packages', 'proxy-service', 'bin', 'stratum-proxy.js');
  const main = join(REPO_ROOT, 'packages', 'proxy-service', 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (\`npx tsc -b\` at the repo root, which the root test command runs)`);
  const proxyPort = await freePort();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, [bin], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      POOL_HOST: '127.0.0.1',
      POOL_PORT: String(poolPort),
      PROXY_HOST: '127.0.0.1',
      PROXY_PORT: String(proxyPort),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      DRAIN_TIMEOUT_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = track(child);
  try {
    await waitFor('the proxy to answer /readyz', 20_000, () => (child.exitCode !== null ? Promise.reject(new Error(`proxy exited with ${child.exitCode}`)) : httpOk(`http://127.0.0.1:${metricsPort}/readyz`)), running.output);
  } catch (error) {
    await running.stop(1_000);
    throw error;
  }
  return { ...running, proxyPort, metricsPort };
}

export interface PrometheusQueryResult {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PrometheusProcess extends RunningChild {
  readonly url: string;
  /** Instant query through /api/v1/query; rejects on an API error (bad PromQL, timeout). */
  query(expr: string): Promise<PrometheusQueryResult[]>;
  /** GET on an API path, parsed `data`. */
  api(path: string): Promise<unknown>;
}

/**
 * A real `prometheus` server with the given config, on a free loopback port, storing its TSDB in
 * a temp dir that `stop()` removes. Resolves once /-/ready answers 200.
 */
export async function startPrometheus(configYaml: string): Promise<PrometheusProcess> {
  const bin = requireTool('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'srl-ops-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const running = track(child);
  const stop = async (graceMs?: number): Promise<void> => {
    await running.stop(graceMs);
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async (path: string): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const query = async (expr: string): Promise<PrometheusQueryResult[]> => {
    const data = (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as { resultType: string; result: unknown };
    if (data.resultType === 'scalar') {
      const [, v] = data.result as [number, string];
      return [{ metric: {}, value: Number(v) }];
    }
    if (data.resultType !== 'vector') throw new Error(`${expr}: expected an instant vector, got ${data.resultType}`);
    return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  try {
    await waitFor('prometheus to be ready', 20_000, () => (child.exitCode !== null ? Promise.reject(new Error(`prometheus exited with ${child.exitCode}`)) : httpOk(`${url}/-/ready`)), running.output);
  } catch (error) {
    await stop(1_000);
    throw error;
  }
  return { ...running, stop, url, query, api };
}
