// "Did you mean": the nearest allowed name to a mistyped one (config fields, CLI options).

/** The allowed key nearest to `k` by edit distance (case-insensitive), if within a third of its length. */
export function closest(k: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const dd = editDistance(k.toLowerCase(), a.toLowerCase());
    // a name that shares nothing with `k` (every character replaced: `b` for `a`) is no suggestion
    if (dd < bestD && dd < Math.max(k.length, a.length)) {
      bestD = dd;
      best = a;
    }
  }
  return bestD <= Math.max(2, Math.ceil(k.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
