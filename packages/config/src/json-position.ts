/**
 * Where JSON.parse failed, as line and column (1-based), for config-file error messages.
 *
 * V8 names the position in most messages ("... in JSON at position 7", Node 22 adding "(line 1
 * column 8)") but not all:
 * "Unexpected token '}', "{"a": }" is not valid JSON" and "Unexpected end of JSON input" carry
 * none. For those, a small validating scanner finds the first offending character itself.
 */
export interface JsonSyntaxProblem {
  readonly line: number;
  readonly column: number;
  /** V8's reason without the position and the quoted source excerpt. */
  readonly reason: string;
}

// Node 22's V8 adds "(line 1 column 8)" after the position; the message gives its own line and column.
const POSITION = / at position (\d+)(?: \(line \d+ column \d+\))?/;
const EXCERPT = /, ".*" is not valid JSON$/s;

export function describeJsonSyntaxError(text: string, error: Error): JsonSyntaxProblem {
  const message = error.message;
  const match = POSITION.exec(message);
  let position: number;
  let reason: string;
  if (match && match[1] !== undefined) {
    position = Number(match[1]);
    reason = (message.slice(0, match.index) + message.slice(match.index + match[0].length)).replace(/ in JSON$/, '');
  } else {
    position = findJsonErrorPosition(text);
    reason = message.replace(EXCERPT, '');
  }
  const { line, column } = lineColumn(text, Math.min(Math.max(position, 0), text.length));
  return { line, column, reason: reason.trim() || 'invalid JSON' };
}

export function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: position - lineStart + 1 };
}

/**
 * Index of the first character that makes `text` invalid JSON (text.length when it ends early).
 * Only used for error messages, so it favours being short over being fast.
 */
export function findJsonErrorPosition(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
              i += k;
              fail();
            }
          }
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail();
      } else i++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? '')) fail();
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (position) {
    if (typeof position === 'number') return position;
    throw position;
  }
}
