// Spreads a count over an interval onto the base windows it overlaps, in proportion to the overlap,
// with integer shares that sum to the count. Shares come from rounding the cumulative proportion,
// so every run of consecutive windows holds its proportional part to within one count: sums at
// the interval's own granularity or coarser stay exact (DESIGN.md, Time), finer ones stay close.

export interface Share {
  windowStart: number;
  count: number;
}

export function spreadCount(startMs: number, endMs: number, count: number, windowMs: number): Share[] {
  const first = Math.floor(startMs / windowMs) * windowMs;
  if (endMs - startMs <= 0 || endMs <= first + windowMs) return [{ windowStart: first, count }];
  const span = endMs - startMs;
  const shares: Share[] = [];
  let covered = 0;
  let given = 0;
  for (let w = first; w < endMs; w += windowMs) {
    covered += Math.min(endMs, w + windowMs) - Math.max(startMs, w);
    // Integer arithmetic (count ≤ 1e6, span ≤ 31 days stays below 2^53): round half up.
    const upTo = Math.floor((count * covered + Math.floor(span / 2)) / span);
    if (upTo > given) shares.push({ windowStart: w, count: upTo - given });
    given = upTo;
  }
  return shares;
}
