import { WaitTimeoutError } from './errors';

/**
 * `promise`, or WaitTimeoutError (SRL_ERR_IT_TIMEOUT) if it has not settled after `timeoutMs`.
 * The timer is cleared either way, so a test that awaits this leaves nothing running.
 */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
