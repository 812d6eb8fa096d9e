// The privacy release layer (DESIGN.md, Privacy): every value the history routes give out is a
// release of one unit of a fixed lattice, or a post-processed sum of such releases. Pure functions,
// no I/O; query-api/privacy/grid.ts lists the units a request covers.
//
// Decisions (README, Privacy statement):
// - Release unit: (dataset footfall, source, metric, breakdown, cell at resolution 7–10, bucket
//   5m/15m/1h/1d/1w, bucket start) and (dataset flows, source, metric trips|duration_ms, breakdown,
//   origin cell, destination cell, resolution, bucket, bucket start). `breakdown` is null for all
//   breakdown values together, else one value ('' for records that carried none). A request outside
//   the lattice (resolution not 7–10, another bucket) is refused before it gets here.
// - Noise: Laplace(0, sensitivity/ε), drawn by the inverse CDF from a uniform u taken from
//   HMAC-SHA256(secret, unitKey + '|' + revision). The same question always gets the same answer,
//   so repeating or averaging queries gains nothing.
// - Revision: the unit's exact value (canonical decimal), inside the HMAC so it never shows. The
//   same data gives the same answer; a unit corrected by late data or a later visit/trip gets fresh
//   noise. (Noise fixed per key alone would make the difference of two answers before and after a
//   correction the exact size of the correction — e.g. exactly one late person.) The cost: every
//   distinct value a unit takes is one more release of it (README, honest limits).
// - Released value = round(exact + noise), clamped at 0; a value below k (after rounding) is
//   suppressed — `value: null, suppressed: true`, never 0. The comparison is on the noisy value:
//   thresholding the exact one would make "suppressed" itself an exact statement (exact < k) and
//   the released numbers an exact one (exact ≥ k), which noise could not hide.
// - Area totals: the sum of the unrounded noisy values of every unit that makes up the area at the
//   requested resolution — units without data included (exact 0, noise of their own) — then
//   rounded, clamped and thresholded like one unit. Post-processing of releases: no combination of
//   areas (an area with and without one cell, a parent against its children) gets closer to an
//   exact count than the noise of the units it differs by.
// - Means (Wi-Fi dwell, trip duration): released sum / released count, each part a unit with its
//   own noise (so a mean spends 2ε); suppressed when the count is; the sum is clamped to
//   [0, count × DURATION_CAP_MS] before dividing.
// - Sensitivity: 1 for counts (one crossing, tap, session, trip) and unique devices (one device per
//   unit); DURATION_CAP_MS for dwell and duration sums, each visit and trip clamped to it.

import { HmacSha256 } from '../../shared/hmac.js';
import { DURATION_CAP_MS, type PrivacyDataset, type ReleaseSettings } from '../../shared/privacy.js';

export type { ReleaseSettings } from '../../shared/privacy.js';

/** What the history routes need to release: the noise secret and the settings of each dataset. */
export interface PrivacyOptions {
  /** Seeds every noise draw; at least 32 bytes. */
  secret: Buffer;
  defaults: ReleaseSettings;
  datasets: Partial<Record<PrivacyDataset, Partial<ReleaseSettings>>>;
}

export function settingsFor(p: Pick<PrivacyOptions, 'defaults' | 'datasets'>, dataset: PrivacyDataset): ReleaseSettings {
  return { ...p.defaults, ...p.datasets[dataset] };
}

export const LATTICE_BUCKETS = ['5m', '15m', '1h', '1d', '1w'] as const;
export type LatticeBucket = (typeof LATTICE_BUCKETS)[number];
export const LATTICE_RESOLUTIONS = [7, 8, 9, 10] as const;

interface UnitBase {
  source: string;
  metric: string;
  /** null: every breakdown value together; else one value ('' for records without one). */
  breakdown: string | null;
  resolution: number;
  bucket: LatticeBucket;
  bucketStartMs: number;
}
export interface FootfallUnit extends UnitBase {
  dataset: 'footfall';
  cell: string;
}
export interface FlowUnit extends UnitBase {
  dataset: 'flows';
  originCell: string;
  destinationCell: string;
}
export type LatticeUnit = FootfallUnit | FlowUnit;

/**
 * The canonical key of a lattice unit: a JSON array in a fixed order (so no value, e.g. a free-text
 * ticketing mode, can make two units share a key). Throws for anything outside the lattice.
 */
export function unitKey(u: LatticeUnit): string {
  checkLattice(u);
  if (!Number.isSafeInteger(u.bucketStartMs)) throw new Error('a bucket start must be epoch milliseconds');
  const where = u.dataset === 'footfall' ? [u.cell] : [u.originCell, u.destinationCell];
  return JSON.stringify(['v1', u.dataset, u.source, u.metric, u.breakdown, ...where, u.resolution, u.bucket, u.bucketStartMs]);
}

function checkLattice(u: Pick<UnitBase, 'resolution' | 'bucket'>): void {
  if (!(LATTICE_RESOLUTIONS as readonly number[]).includes(u.resolution))
    throw new Error(`resolution ${u.resolution} is outside the release lattice`);
  if (!(LATTICE_BUCKETS as readonly string[]).includes(u.bucket)) throw new Error(`bucket ${u.bucket} is outside the release lattice`);
}

/**
 * unitKey of the footfall units of one answer, which differ only in their cell and bucket start:
 * the same text (release.test.ts checks it), the shared fields checked and encoded once.
 */
export function footfallKeys(base: Omit<FootfallUnit, 'cell' | 'bucketStartMs'>): (cell: string, bucketStartMs: number) => string {
  checkLattice(base);
  const head = `${JSON.stringify(['v1', base.dataset, base.source, base.metric, base.breakdown]).slice(0, -1)},`;
  const tail = `,${base.resolution},${JSON.stringify(base.bucket)},`;
  return (cell, ms) => {
    if (!Number.isSafeInteger(ms)) throw new Error('a bucket start must be epoch milliseconds');
    return `${head}${JSON.stringify(cell)}${tail}${ms}]`;
  };
}

const TWO_53 = 2 ** 53;

/**
 * A uniform number in (0, 1), never 0 or 1: the first 53 bits of HMAC-SHA256(secret, message),
 * centred in its interval. NOTE: this derivation must never change — new noise for a unit would be a
 * second, independent release of it (release.test.ts pins it to node:crypto's HMAC).
 */
export function uniformFrom(hmac: HmacSha256, message: string): number {
  const h = hmac.words(message);
  const n = (h[0]! >>> 0) * 2 ** 21 + ((h[1]! >>> 0) >>> 11);
  return (n + 0.5) / TWO_53;
}

/** The Laplace(0, scale) value at quantile u ∈ (0, 1) (inverse CDF). */
export function laplaceQuantile(u: number, scale: number): number {
  const d = u - 0.5;
  return d <= 0 ? scale * Math.log(1 + 2 * d) : -scale * Math.log(1 - 2 * d);
}

export interface Released {
  /** null when suppressed. */
  value: number | null;
  suppressed: boolean;
}

/** A noisy value as released: rounded, clamped at 0, suppressed below k. */
export function releaseValue(noisy: number, k: number): Released {
  const v = Math.max(0, Math.round(noisy));
  return v < k ? { value: null, suppressed: true } : { value: v, suppressed: false };
}

/** An area total: the sum of its units' unrounded noisy values, released like one value. */
export function releaseSum(noisy: Iterable<number>, k: number): Released {
  let sum = 0;
  for (const x of noisy) sum += x;
  return releaseValue(sum, k);
}

/**
 * A mean of noisy parts, e.g. dwell: `sum` / `count` / `divisor` (a unit change), from unrounded
 * noisy values. The count is released first (and is the divisor as released); a suppressed count
 * suppresses the mean. The sum is clamped to [0, count × cap] (the most each counted item adds).
 */
export function releaseMean(sum: number, count: number, k: number, cap: number, divisor = 1): { count: Released; mean: number | null } {
  const c = releaseValue(count, k);
  if (c.value === null) return { count: c, mean: null };
  return { count: c, mean: Math.min(Math.max(sum, 0), c.value * cap) / c.value / divisor };
}

/** Sensitivity of each part the layer noises: counts and unique devices 1, duration sums the cap. */
export const SENSITIVITY = { count: 1, duration: DURATION_CAP_MS } as const;

/** Noise for one dataset: a secret and that dataset's settings. */
export class Releaser {
  private readonly hmac: HmacSha256;

  constructor(
    secret: Buffer,
    readonly settings: ReleaseSettings,
  ) {
    if (secret.length < 32 && settings.noise === 'on') throw new Error('the privacy secret must be at least 32 bytes');
    this.hmac = new HmacSha256(secret);
  }

  static of(p: PrivacyOptions, dataset: PrivacyDataset): Releaser {
    return new Releaser(p.secret, settingsFor(p, dataset));
  }

  get k(): number {
    return this.settings.k;
  }

  /**
   * The unit's noisy value, unrounded: exact + Laplace(sensitivity/ε) drawn from
   * HMAC(secret, key | exact); exactly `exact` when noise is off.
   */
  noisy(unit: LatticeUnit | string, exact: number, sensitivity: number): number {
    if (this.settings.noise === 'off') return exact;
    const key = typeof unit === 'string' ? unit : unitKey(unit);
    const u = uniformFrom(this.hmac, `${key}|${revision(exact)}`);
    return exact + laplaceQuantile(u, sensitivity / this.settings.epsilon);
  }

  /** One unit as released. */
  release(unit: LatticeUnit | string, exact: number, sensitivity: number): Released {
    return releaseValue(this.noisy(unit, exact, sensitivity), this.settings.k);
  }

  /** What a response says about its release. */
  describe(dataset: PrivacyDataset): { released: true; dataset: PrivacyDataset; k: number; epsilon: number; noise: 'laplace' | 'off' } {
    return {
      released: true,
      dataset,
      k: this.settings.k,
      epsilon: this.settings.epsilon,
      noise: this.settings.noise === 'on' ? 'laplace' : 'off',
    };
  }
}

/** The revision of a unit: its exact value, canonical (integers as integers, -0 as 0). */
function revision(exact: number): string {
  return Object.is(exact, -0) ? '0' : String(exact);
}
