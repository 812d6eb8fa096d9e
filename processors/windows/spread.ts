// Spreads a count over an interval onto the base windows it overlaps, in proportion to the overlap,
// with integer shares that sum to the count (largest remainder; ties go to the earlier window).
// So sums at the interval's own granularity or coarser stay exact (DESIGN.md, Time).

export interface Share {
  windowStart: number;
  count: number;
}

export function spreadCount(startMs: number, endMs: number, count: number, windowMs: number): Share[] {
  const first = Math.floor(startMs / windowMs) * windowMs;
  if (endMs - startMs <= 0 || endMs <= first + windowMs) return [{ windowStart: first, count }];
  const span = endMs - startMs;
  const shares: { windowStart: number; count: number; rest: number }[] = [];
  let given = 0;
  for (let w = first; w < endMs; w += windowMs) {
    const overlap = Math.min(endMs, w + windowMs) - Math.max(startMs, w);
    const exact = (count * overlap) / span;
    const whole = Math.floor(exact);
    shares.push({ windowStart: w, count: whole, rest: exact - whole });
    given += whole;
  }
  const order = shares.map((_, i) => i).sort((a, b) => shares[b]!.rest - shares[a]!.rest || a - b);
  for (let i = 0; i < count - given; i++) shares[order[i]!]!.count += 1;
  return shares.filter((s) => s.count > 0).map(({ windowStart, count: c }) => ({ windowStart, count: c }));
}
