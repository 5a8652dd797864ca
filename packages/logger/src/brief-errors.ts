/**
 * Errors in log lines below debug: their type, their own message and their code, no stack and no
 * cause chain. A port clash used to log its clear sentence, then that sentence again with each
 * cause appended, then three stacks: an operator needs the first; a developer sets
 * LOG_LEVEL=debug and gets pino's full error (stack, `caused by:` chain) back.
 */
export interface BriefError {
  readonly type: string;
  readonly message: string;
  readonly code?: string;
}

export function briefError(error: Error): BriefError {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { type: error.name, message: error.message, code } : { type: error.name, message: error.message };
}

/**
 * Rewrites a log call's arguments in place: an Error given as the merge object becomes
 * `{ err: <brief> }` (with its message as the line's message when none was given, as pino does),
 * and an Error under `err` or `error` in the merge object is replaced by its brief form.
 */
export function briefErrors(args: unknown[]): void {
  const first = args[0];
  if (first instanceof Error) {
    args[0] = { err: briefError(first) };
    if (typeof args[1] !== 'string') args.splice(1, 0, first.message);
    return;
  }
  if (typeof first !== 'object' || first === null) return;
  const fields = first as Record<string, unknown>;
  if (!(fields.err instanceof Error) && !(fields.error instanceof Error)) return;
  const copy = { ...fields };
  if (copy.err instanceof Error) copy.err = briefError(copy.err);
  if (copy.error instanceof Error) copy.error = briefError(copy.error);
  args[0] = copy;
}
