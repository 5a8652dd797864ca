/** Edit distance (Levenshtein), for "did you mean" hints on misspelt keys and flags. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Case, `-` and `_` do not matter: `POOL_HOST`, `pool-host` and `poolhost` all mean poolHost. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * The candidate `name` was most likely meant to be, or undefined when none is obvious
 * (same letters ignoring case/`-`/`_`, or at most 2 edits away and under a third of its length).
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const wanted = normalize(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance === 0 || (bestDistance <= 2 && bestDistance * 3 <= wanted.length) ? best : undefined;
}
