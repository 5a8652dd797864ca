import { ProcessStartError } from './errors';
import { httpRequest } from './http-get';
import type { TrackedProcess } from './tracked-process';
import { waitFor } from './wait-for';

/**
 * Polls `GET path` on 127.0.0.1:`port` until it answers 200. Throws ProcessStartError
 * (SRL_ERR_IT_PROCESS_START) as soon as `proc` exits, WaitTimeoutError (SRL_ERR_IT_TIMEOUT) after
 * `timeoutMs`; both carry the process's logs. The caller stops the process on failure.
 */
export async function waitForHttpOk(proc: TrackedProcess, port: number, path: string, opts: { name: string; timeoutMs: number }): Promise<void> {
  const state = await waitFor(
    async () => {
      if (proc.exitStatus() !== null) return 'exited';
      const res = await httpRequest(port, path, { timeoutMs: 2_000 });
      return res.status === 200 ? 'ok' : undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: 100, what: `${opts.name} to answer ${path}`, context: proc.logs },
  );
  if (state === 'exited') throw new ProcessStartError(`${opts.name} exited during start-up (${JSON.stringify(proc.exitStatus())})\n${proc.logs()}`);
}
