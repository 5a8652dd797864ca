import { WorkError } from '@stratum-relay/work';

/** The WorkError code `fn` throws, or undefined if it does not throw (any other error fails the test). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof WorkError)) throw err;
    return err.code;
  }
  return undefined;
}
