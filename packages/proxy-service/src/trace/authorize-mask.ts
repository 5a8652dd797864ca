/** What stands for a masked password in the trace and the debug bundle. */
export const MASKED = '"***"';

/** A line that mentions mining.authorize but is not JSON (or is a batch): nothing of it is kept. */
export function unreadableAuthorize(bytes: number, why = 'that is not valid JSON'): string {
  return `[mining.authorize line of ${bytes} bytes ${why}: not kept, it may hold a password]`;
}

/**
 * The line with the password of a `mining.authorize` replaced by `"***"`, everything else byte for
 * byte as relayed. Positional params (`[user, password, …]`: the second one, whatever its type) and
 * named params (`{"user": …, "password": …}`: every key that looks like a password) are masked, in
 * every `params` key of the object. It is an authorize when any top-level `method` key says so once
 * decoded (escapes such as `mining.\u0061uthorize` included; JSON.parse keeps the last of duplicate
 * keys, a pool may read the first). A line that mentions `authorize` but does not parse keeps
 * nothing, nor does an array (a batch) holding an authorize. Any other line is returned as it is;
 * without `authorize` or a backslash in it, a line cannot be an authorize and is not even parsed.
 * Nothing secret is ever stored.
 */
export function maskAuthorize(line: string): string {
  if (!mayBeAuthorize(line)) return line;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line.includes('authorize') ? unreadableAuthorize(Buffer.byteLength(line)) : line;
  }
  if (typeof value !== 'object' || value === null) return line;
  if (Array.isArray(value)) return JSON.stringify(value).includes('mining.authorize') ? unreadableAuthorize(Buffer.byteLength(line), 'in a batch') : line;
  const found = secretRanges(line);
  if (found === null) return unreadableAuthorize(Buffer.byteLength(line));
  if (!found.authorize) return line;
  let out = '';
  let from = 0;
  for (const [start, end] of found.ranges) {
    out += line.slice(from, start) + MASKED;
    from = end;
  }
  return out + line.slice(from);
}

/** Whether a line may be an authorize once decoded: it says `authorize`, or has an escape that may spell it. */
export function mayBeAuthorize(line: string): boolean {
  return line.includes('authorize') || line.includes('\\');
}

const PASSWORD_KEY = /pass|secret|token/i;

interface Secrets {
  /** A top-level `method` key is `mining.authorize`. */
  authorize: boolean;
  /** [start, end) in the line of each secret value of the top-level `params` keys, in order. */
  ranges: Array<[number, number]>;
}

/**
 * The top-level `method` keys and the secret values of the `params` keys, from a scan of the JSON
 * text (already known valid): so only those bytes change. Null if the scan fails (a line
 * JSON.parse took but this scanner does not: keep nothing rather than guess).
 */
function secretRanges(line: string): Secrets | null {
  const scan = new Scanner(line);
  const found: Secrets = { authorize: false, ranges: [] };
  try {
    scan.ws();
    scan.expect('{');
    scan.ws();
    if (scan.peek() === '}') return found;
    for (;;) {
      scan.ws();
      const key = scan.key();
      scan.ws();
      scan.expect(':');
      scan.ws();
      const start = scan.pos;
      if (key === 'params') scan.paramsSecrets(found.ranges);
      else scan.value();
      if (key === 'method' && JSON.parse(line.slice(start, scan.pos)) === 'mining.authorize') found.authorize = true;
      scan.ws();
      if (scan.peek() === ',') {
        scan.pos++;
        continue;
      }
      scan.expect('}');
      return found;
    }
  } catch {
    return null;
  }
}

class Scanner {
  pos = 0;
  constructor(private readonly s: string) {}

  peek(): string {
    return this.s[this.pos] ?? '';
  }

  ws(): void {
    while (this.pos < this.s.length && ' \t\r\n'.includes(this.s[this.pos] as string)) this.pos++;
  }

  expect(c: string): void {
    if (this.s[this.pos] !== c) throw new SyntaxError(`expected ${c} at ${this.pos}`);
    this.pos++;
  }

  /** An object key, decoded (escapes included). */
  key(): string {
    const start = this.pos;
    this.string();
    return JSON.parse(this.s.slice(start, this.pos)) as string;
  }

  string(): void {
    this.expect('"');
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++];
      if (c === '\\') this.pos++;
      else if (c === '"') return;
    }
    throw new SyntaxError('unterminated string');
  }

  /** Skips any JSON value. */
  value(): void {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      this.pos++;
      this.ws();
      if (this.peek() === close) {
        this.pos++;
        return;
      }
      for (;;) {
        this.ws();
        if (close === '}') {
          this.string();
          this.ws();
          this.expect(':');
          this.ws();
        }
        this.value();
        this.ws();
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        this.expect(close);
        return;
      }
    }
    const start = this.pos;
    while (this.pos < this.s.length && !',]} \t\r\n'.includes(this.s[this.pos] as string)) this.pos++;
    if (this.pos === start) throw new SyntaxError(`value expected at ${start}`);
  }

  /** The value of `params`: its second element, or its password-like keys, recorded; everything skipped. */
  paramsSecrets(ranges: Array<[number, number]>): void {
    const c = this.peek();
    if (c !== '[' && c !== '{') return this.value();
    this.pos++;
    this.ws();
    const close = c === '{' ? '}' : ']';
    if (this.peek() === close) {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.ws();
      let secret = index === 1;
      if (close === '}') {
        secret = PASSWORD_KEY.test(this.key());
        this.ws();
        this.expect(':');
        this.ws();
      }
      const start = this.pos;
      this.value();
      if (secret) ranges.push([start, this.pos]);
      this.ws();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      this.expect(close);
      return;
    }
  }
}
