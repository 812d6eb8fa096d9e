// The benchmark's goals, how a measurement is judged against one (met or missed, by how much), and
// the plain-text table the script prints. Pure: takes measurements, returns values and strings.

export interface Goal {
  id: string;
  what: string;
  /** The goal as the issue states it. */
  goal: string;
  target: number;
  direction: 'at least' | 'at most';
  unit: string;
  measured: number | null;
  /** True/false when measured; null when the measurement was skipped. */
  met: boolean | null;
  /** Measured against target, oriented so that ≥ 1 means met (for "at most": target ÷ measured). */
  ratio: number | null;
  note: string;
}

export function judge(g: Omit<Goal, 'met' | 'ratio'>): Goal {
  if (g.measured === null || !Number.isFinite(g.measured)) return { ...g, met: null, ratio: null };
  const ratio = g.direction === 'at least' ? g.measured / g.target : g.target / g.measured;
  return { ...g, met: ratio >= 1, ratio };
}

/** "met (1.8× the goal)" / "missed: 38% short of the goal (needs 1.6×)". */
export function verdict(g: Goal): string {
  if (g.met === null || g.ratio === null) return 'not measured';
  if (g.met) return `met (${fmtRatio(g.ratio)} the goal)`;
  const short = g.direction === 'at least' ? `${pct(1 - g.ratio)} short` : `${pct(1 / g.ratio - 1)} over`;
  return `MISSED: ${short} (needs ${fmtRatio(1 / g.ratio)} better)`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

export function fmtRatio(r: number): string {
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
}

export function fmtBytes(b: number): string {
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}

/** A plain table with a header row, columns padded to their widest cell (right-aligned when numeric). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (/^[-+]?[\d,.]+(\s?[×%a-zA-Z/]+)?$/.test(c) && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
