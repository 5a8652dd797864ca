/** Shows a few bytes around `at` as text with escapes, for a readable failure message. */
function excerpt(buf: Buffer, at: number): string {
  const from = Math.max(0, at - 16);
  return JSON.stringify(buf.subarray(from, Math.min(buf.length, at + 16)).toString('latin1'));
}

/**
 * null when `actual` and `expected` are the same bytes, else one line saying where they first
 * differ. Meant for `expect(bytesDiff(a, b)).toBeNull()`: a failing Buffer.equals on a 1 MiB
 * buffer would otherwise print the whole buffer.
 */
export function bytesDiff(actual: Buffer, expected: Buffer): string | null {
  if (actual.equals(expected)) return null;
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  return `lengths ${actual.length} vs ${expected.length} (expected); first difference at byte ${i}: ${excerpt(actual, i)} vs ${excerpt(expected, i)}`;
}
