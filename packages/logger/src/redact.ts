/**
 * Keeping miner passwords out of logs. `mining.authorize` is `[workerName, password]`; many
 * pools ignore the password, but some use it for payout settings or as a real secret, and
 * logs get shipped to places the pool credentials must not go.
 */
const AUTHORIZE = 'mining.authorize';

export const REDACTED = '[REDACTED]';

/** Deeper than any Stratum message nests; past it values are replaced rather than walked. */
const MAX_DEPTH = 8;

/** `"params": [ <first>, <second>` in JSON text, in any spacing; group 2 is the password. */
const PARAMS_TEXT = /("params"\s*:\s*\[\s*(?:"(?:[^"\\]|\\.)*"|[^,\]]*)\s*,\s*)("(?:[^"\\]|\\.)*"|[^,\]\s]+)/g;

/**
 * The params to log for a Stratum request: for `mining.authorize` a copy with the password
 * (params[1]) replaced by `[REDACTED]`; any other method's params unchanged (same array).
 */
export function redactStratumParams(method: string, params: readonly unknown[]): readonly unknown[] {
  if (method !== AUTHORIZE || params.length < 2) return params;
  const copy = params.slice();
  copy[1] = REDACTED;
  return copy;
}

/**
 * Text that may hold a raw Stratum line (or several): the password after `"params":[…,` is
 * replaced on every line naming mining.authorize. A line that names it and has params this
 * cannot pick apart (double-encoded JSON, a cut-off line) is replaced whole: losing a log
 * line beats leaking a secret.
 */
export function redactStratumText(text: string): string {
  if (!text.includes(AUTHORIZE)) return text;
  return text
    .split('\n')
    .map((line) => {
      if (!line.includes(AUTHORIZE)) return line;
      let matched = false;
      const out = line.replace(PARAMS_TEXT, (_all, head: string) => {
        matched = true;
        return `${head}"${REDACTED}"`;
      });
      if (matched || !line.includes('params')) return out;
      return `${REDACTED} (line with ${AUTHORIZE})`;
    })
    .join('\n');
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Any value about to be logged, with every mining.authorize password removed: message
 * objects (`{method, params}` at any depth, including ProxyEvents), raw lines as strings or
 * Buffers, and Error messages. Returns the same value when nothing needed removing, so the
 * common case allocates nothing.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactStratumText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep to log]';
  if (Buffer.isBuffer(value)) return value.includes(AUTHORIZE) ? redactStratumText(value.toString('utf8')) : value;
  if (value instanceof Error) {
    const { message, stack } = value;
    if (!message.includes(AUTHORIZE) && !(stack ?? '').includes(AUTHORIZE)) return value;
    return { type: value.name, message: redactStratumText(message), stack: redactStratumText(stack ?? '') };
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const scrubbed = redactSecrets(item, depth + 1);
      if (scrubbed !== item) {
        copy ??= value.slice();
        copy[i] = scrubbed;
      }
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  const authorize = value.method === AUTHORIZE && Array.isArray(value.params);
  for (const key of Object.keys(value)) {
    const item = value[key];
    const scrubbed = authorize && key === 'params' ? redactStratumParams(AUTHORIZE, item as unknown[]) : redactSecrets(item, depth + 1);
    if (scrubbed !== item) {
      copy ??= { ...value };
      copy[key] = scrubbed;
    }
  }
  return copy ?? value;
}
