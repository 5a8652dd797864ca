import { readFileSync } from 'node:fs';
import { describeReadError, unreadableReason } from './readable-file';

// The token is compared with an HTTP Authorization header, where a space or newline can never match.
const TOKEN = /^[\x21-\x7e]+$/;

/** The token a METRICS_TOKEN_FILE holds (surrounding whitespace and the final newline removed). */
export function tokenFromFileText(text: string): { readonly token: string } | { readonly problem: string } {
  const token = text.trim();
  if (token === '') return { problem: 'holds no token: expected the token on one line (surrounding whitespace is ignored)' };
  // Say what is wrong, never what is there: the content is a secret.
  if (!TOKEN.test(token)) return { problem: 'does not hold a valid token: expected visible ASCII characters without spaces (surrounding whitespace is ignored)' };
  return { token };
}

/** Why `path` cannot serve as METRICS_TOKEN_FILE, as the end of a sentence that starts with the path; undefined when it can. */
export function checkTokenFile(path: string): string | undefined {
  const unreadable = unreadableReason(path);
  if (unreadable !== undefined) return unreadable;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return describeReadError(error);
  }
  const read = tokenFromFileText(text);
  return 'problem' in read ? read.problem : undefined;
}
