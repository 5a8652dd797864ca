/** What replaces every secret in a traced line. */
export const MASK = '***';

/** A received line as the trace may keep it, and whether it had to be changed for that. */
export interface MaskedLine {
  readonly line: string;
  readonly masked: boolean;
}

const MENTIONS_AUTHORIZE = /authorize/i;

/**
 * The line with every secret removed, for the trace. A `mining.authorize` request keeps its
 * user name (params[0]) and loses everything after it: miners put the password in params[1]
 * and some firmware appends more. Masking re-serializes that one line (its bytes are not
 * the wire's any more, and `masked` says so); every other request keeps its exact text.
 *
 * A line that mentions "authorize" but is not a well-formed request (cut in half, not JSON,
 * an array) cannot be masked field by field, so it is withheld whole: nothing secret is ever
 * kept, even from a broken miner.
 *
 * @param parsed the line's JSON.parse result, or undefined when it did not parse
 */
export function maskTraceLine(text: string, parsed: unknown): MaskedLine {
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const msg = parsed as Record<string, unknown>;
    if (msg.method === 'mining.authorize') {
      const params = Array.isArray(msg.params) ? msg.params.map((p, i) => (i === 0 ? p : MASK)) : MASK;
      return { line: JSON.stringify({ ...msg, params }), masked: true };
    }
    if (typeof msg.method === 'string') return { line: text, masked: false };
  }
  if (MENTIONS_AUTHORIZE.test(text)) {
    return { line: `[withheld: ${Buffer.byteLength(text)} bytes mentioning "authorize" that are not a well-formed request]`, masked: true };
  }
  return { line: text, masked: false };
}
