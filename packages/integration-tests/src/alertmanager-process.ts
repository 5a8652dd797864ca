import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError, ProcessStartError } from './errors';
import { freePort } from './free-port';
import { spawnTracked, type ExitStatus, type TrackedProcess } from './tracked-process';
import { waitForHttpOk } from './wait-for-http-ok';

export interface AlertmanagerOptions {
  /** The Alertmanager executable (Debian names it `prometheus-alertmanager`). */
  readonly bin: string;
  /** How long /-/ready may take to answer 200 (default 20 s). */
  readonly startTimeoutMs?: number;
}

/** One alert as POSTed to /api/v2/alerts (what Prometheus sends). */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** ISO time; a past endsAt resolves the alert. */
  readonly startsAt?: string;
  readonly endsAt?: string;
}

export interface AlertmanagerProcess {
  /** The web and API port on 127.0.0.1 (what Prometheus' `alerting:` block points at). */
  readonly port: number;
  readonly process: TrackedProcess;
  logs(): string;
  /** POST /api/v2/alerts; HttpError unless it answers 200. */
  postAlerts(alerts: readonly PostableAlert[]): Promise<void>;
  /** SIGTERM and wait for the exit, then remove its data directory. */
  stop(): Promise<ExitStatus>;
}

/**
 * A real Alertmanager with `configYaml` as its config file, on a free loopback port, with
 * clustering off (no gossip port: two tests at once must not find each other) and its
 * notification log and silences in a temp dir that `stop()` removes. Resolves once /-/ready
 * answers 200; ProcessStartError (SRL_ERR_IT_PROCESS_START) when it exits or never gets ready.
 */
export async function startAlertmanager(configYaml: string, opts: AlertmanagerOptions): Promise<AlertmanagerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'srl-it-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const proc = spawnTracked(
    opts.bin,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { cwd: dir },
  );
  const stop = async (signal?: NodeJS.Signals): Promise<ExitStatus> => {
    const status = await proc.stop(signal === undefined ? {} : { signal });
    rmSync(dir, { recursive: true, force: true });
    return status;
  };
  const postAlerts = async (alerts: readonly PostableAlert[]): Promise<void> => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await res.text();
    if (res.status !== 200) throw new HttpError(`Alertmanager POST /api/v2/alerts answered ${res.status}: ${body.slice(0, 300)}`);
  };
  try {
    await waitForHttpOk(proc, port, '/-/ready', { name: 'alertmanager', timeoutMs: opts.startTimeoutMs ?? 20_000 });
  } catch (error) {
    await stop('SIGKILL');
    if (error instanceof ProcessStartError) throw error;
    throw new ProcessStartError(`alertmanager did not become ready: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { port, process: proc, logs: proc.logs, postAlerts, stop: () => stop() };
}
