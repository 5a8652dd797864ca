import { hostname } from 'node:os';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import { briefErrors } from './brief-errors';
import { redactSecrets } from './redact';

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;
export type LogFormat = 'json' | 'pretty';

/** Where log lines go: anything with `write(line)` (pino's DestinationStream). */
export type LogDestination = pino.DestinationStream;

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Defaults to stdout, written synchronously so the last lines before exit are not lost. */
  readonly destination?: LogDestination;
}

/**
 * The program's logger: JSON lines (or pino-pretty text with `format: 'pretty'`) whose level is
 * its name (`"level":"warn"`: what log shippers and operators grep for, not pino's 40), with
 * `hostname` and `pid` on every line (a farm ships many relays' logs to one place), ISO
 * timestamps, snake_case keys by convention (log-keys.test.ts checks every program's calls),
 * errors without their stack below debug (brief-errors.ts), and every mining.authorize
 * password removed from whatever is logged, at any level (see redact.ts).
 */
export function createLogger({ level, format, destination }: LoggerOptions): Logger {
  const out = destination ?? pino.destination({ dest: 1, sync: true });
  const stream = format === 'pretty' ? prettyStream(out, destination === undefined && process.stdout.isTTY === true) : out;
  const logger = pino(
    {
      level,
      base: { pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // pino's own serializer for Errors (stack, `caused by:` chain: what debug shows), nothing
      // else: the brief form briefErrors() leaves below debug is written as it is.
      serializers: { err: fullError, error: fullError },
      hooks: {
        // Runs only for enabled levels, before pino serializes: the merge object, the message
        // and any printf-style arguments all pass through here. `this` is the logger called
        // (a child may have its own level), asked at each call: a SIGHUP moves the level.
        logMethod(args, method) {
          if (!this.isLevelEnabled('debug')) briefErrors(args);
          for (let i = 0; i < args.length; i++) args[i] = redactSecrets(args[i]) as never;
          return method.apply(this, args);
        },
      },
    },
    stream,
  );
  // Child bindings are serialized once, in child(), without passing through logMethod (and
  // pino applies formatters.bindings to the root only). Children are created with
  // Object.create(parent), so wrapping the root's child() covers every descendant.
  type ChildFn = (this: unknown, bindings: pino.Bindings, options?: unknown) => unknown;
  const child = logger.child as unknown as ChildFn;
  const redactedChild: ChildFn = function (this: unknown, bindings, options) {
    return child.call(this, redactSecrets(bindings) as pino.Bindings, options);
  };
  logger.child = redactedChild as unknown as Logger['child'];
  return logger;
}

function fullError(value: unknown): unknown {
  return value instanceof Error ? pino.stdSerializers.err(value) : value;
}

/**
 * pino-pretty in-process and synchronous (not a worker transport): each JSON line is turned
 * into text and written at once, so nothing is left in a worker when the process exits.
 */
function prettyStream(out: LogDestination, colorize: boolean): LogDestination {
  const prettify = prettyFactory({ colorize, translateTime: 'SYS:standard', ignore: 'pid,hostname' });
  return {
    write(line: string) {
      out.write(prettify(line));
    },
  };
}

/** A child logger whose lines all carry `connection_id`. */
export function connectionLogger(parent: Logger, connectionId: number): Logger {
  return parent.child({ connection_id: connectionId });
}
