// The release layer on its own: lattice unit keys, deterministic Laplace noise, the threshold k,
// area totals and means, and the differencing attacks they must withstand.
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { HmacSha256 } from '../../shared/hmac.js';
import { describe, expect, it } from 'vitest';
import { DURATION_CAP_MS } from '../../shared/privacy.js';
import {
  laplaceQuantile,
  LATTICE_BUCKETS,
  releaseMean,
  Releaser,
  releaseSum,
  releaseValue,
  settingsFor,
  uniformFrom,
  unitKey,
  footfallKeys,
  LATTICE_RESOLUTIONS,
  type FootfallUnit,
  type LatticeBucket,
  type ReleaseSettings,
} from './release.js';

const SECRET = Buffer.from('release-test-secret-0123456789abcdefgh');
const OTHER = Buffer.from('another-release-secret-9876543210zyxwv');
const ON: ReleaseSettings = { k: 10, epsilon: 1, noise: 'on' };
const OFF1: ReleaseSettings = { k: 1, epsilon: 1, noise: 'off' };

const unit = (over: Partial<FootfallUnit> = {}): FootfallUnit => ({
  dataset: 'footfall',
  source: 'camera',
  metric: 'footfall',
  breakdown: null,
  cell: '8a1f0583176ffff',
  resolution: 10,
  bucket: '1h',
  bucketStartMs: Date.parse('2026-11-20T07:00:00Z'),
  ...over,
});
/** The i-th hourly unit of a cell: a different lattice unit for every i. */
const hourly = (i: number, cell = '8a1f0583176ffff', metric = 'footfall'): FootfallUnit =>
  unit({ cell, metric, bucketStartMs: Date.parse('2026-01-05T00:00:00Z') + i * 3_600_000 });

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return mean(xs.map((x) => (x - m) ** 2));
};

describe('lattice unit keys', () => {
  it('are canonical JSON in a fixed order, different for every field', () => {
    expect(unitKey(unit())).toBe('["v1","footfall","camera","footfall",null,"8a1f0583176ffff",10,"1h",1795158000000]');
    const keys = [
      unit(),
      unit({ breakdown: '' }),
      unit({ breakdown: 'pedestrian' }),
      unit({ metric: 'entries' }),
      unit({ source: 'ticketing' }),
      unit({ bucket: '5m' }),
      unit({ bucketStartMs: unit().bucketStartMs + 300_000 }),
      unit({ cell: '891f0583177ffff', resolution: 9 }),
    ].map(unitKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(
      unitKey({
        dataset: 'flows',
        source: 'ticketing',
        metric: 'trips',
        breakdown: 'metro',
        originCell: '881f058317fffff',
        destinationCell: '881f05831bfffff',
        resolution: 8,
        bucket: '1d',
        bucketStartMs: 0,
      }),
    ).toBe('["v1","flows","ticketing","trips","metro","881f058317fffff","881f05831bfffff",8,"1d",0]');
  });

  it('cannot be made to collide by a free-text breakdown', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(unitKey(unit({ breakdown: a }))).not.toBe(unitKey(unit({ breakdown: b })));
      }),
    );
  });

  it('are the same text when made for many units at once', () => {
    const cell = fc.constantFrom('8a1f0583176ffff', '891f0583177ffff', '871f05831ffffff');
    const common = {
      source: fc.constantFrom('camera', 'ticketing', 'telco'),
      metric: fc.string(),
      breakdown: fc.option(fc.string({ unit: 'binary' })),
      resolution: fc.constantFrom(...LATTICE_RESOLUTIONS),
      bucket: fc.constantFrom(...LATTICE_BUCKETS),
      bucketStartMs: fc.integer({ min: 0, max: 2 ** 42 }),
    };
    fc.assert(
      fc.property(fc.record({ ...common, cell }), ({ cell: c, bucketStartMs, ...base }) => {
        const u = { dataset: 'footfall' as const, ...base, cell: c, bucketStartMs };
        expect(footfallKeys({ dataset: 'footfall', ...base })(c, bucketStartMs)).toBe(unitKey(u));
      }),
    );
    expect(() =>
      footfallKeys({ dataset: 'footfall', source: 'camera', metric: 'footfall', breakdown: null, resolution: 6, bucket: '1h' }),
    ).toThrow(/outside the release lattice/);
    expect(() =>
      footfallKeys({ dataset: 'footfall', source: 'camera', metric: 'footfall', breakdown: null, resolution: 9, bucket: '1h' })('c', 1.5),
    ).toThrow(/epoch milliseconds/);
  });

  it('refuses anything outside the lattice', () => {
    expect(() => unitKey(unit({ resolution: 6 }))).toThrow(/outside the release lattice/);
    expect(() => unitKey(unit({ resolution: 11 }))).toThrow(/outside the release lattice/);
    expect(() => unitKey(unit({ bucket: '2h' as LatticeBucket }))).toThrow(/outside the release lattice/);
    expect(LATTICE_BUCKETS).toEqual(['5m', '15m', '1h', '1d', '1w']);
  });
});

describe('deterministic Laplace noise', () => {
  it('draws uniforms in (0, 1) from the keyed hash, evenly', () => {
    const key = new HmacSha256(SECRET);
    const us = Array.from({ length: 20_000 }, (_, i) => uniformFrom(key, `m${i}`));
    expect(us.every((u) => u > 0 && u < 1)).toBe(true);
    expect(uniformFrom(key, 'm7')).toBe(us[7]);
    // The derivation every earlier answer used: the first 53 bits of node:crypto's HMAC-SHA256.
    for (const m of ['m7', unitKey(unit()) + '|12', '["v1","flows","ticketing","trips","Métro",…]|0']) {
      const h = createHmac('sha256', SECRET).update(m).digest();
      expect(uniformFrom(key, m)).toBe((h.readUInt32BE(0) * 2 ** 21 + (h.readUInt32BE(4) >>> 11) + 0.5) / 2 ** 53);
    }
    for (let d = 0; d < 10; d++) {
      const share = us.filter((u) => u >= d / 10 && u < (d + 1) / 10).length / us.length;
      expect(share).toBeGreaterThan(0.09);
      expect(share).toBeLessThan(0.11);
    }
  });

  it('inverts the Laplace CDF', () => {
    expect(laplaceQuantile(0.5, 3)).toBe(0);
    for (const u of [0.01, 0.2, 0.4, 0.49]) expect(laplaceQuantile(u, 2)).toBeCloseTo(-laplaceQuantile(1 - u, 2), 12);
    // P(X > b) = e^{-1} / 2 for Laplace(0, b).
    expect(laplaceQuantile(1 - Math.exp(-1) / 2, 2)).toBeCloseTo(2, 12);
    expect(laplaceQuantile(Math.exp(-3) / 2, 0.5)).toBeCloseTo(-1.5, 12);
  });

  it('adds noise of scale sensitivity/ε: mean 0, mean absolute value the scale', () => {
    for (const [epsilon, sensitivity] of [
      [1, 1],
      [0.5, 1],
      [1, DURATION_CAP_MS],
    ] as const) {
      const rel = new Releaser(SECRET, { ...ON, epsilon });
      const noise = Array.from({ length: 20_000 }, (_, i) => rel.noisy(hourly(i), 100, sensitivity) - 100);
      const b = sensitivity / epsilon;
      expect(Math.abs(mean(noise)) / b).toBeLessThan(0.05);
      expect(mean(noise.map(Math.abs)) / b).toBeGreaterThan(0.95);
      expect(mean(noise.map(Math.abs)) / b).toBeLessThan(1.05);
    }
  });

  it('gives the same answer to the same question, another to another secret, fresh noise to a corrected value', () => {
    const a = new Releaser(SECRET, ON);
    const again = new Releaser(Buffer.from(SECRET), ON);
    const other = new Releaser(OTHER, ON);
    const n = 2_000;
    let differs = 0;
    let shiftedByOne = 0;
    for (let i = 0; i < n; i++) {
      expect(again.noisy(hourly(i), 40, 1)).toBe(a.noisy(hourly(i), 40, 1));
      if (other.noisy(hourly(i), 40, 1) !== a.noisy(hourly(i), 40, 1)) differs++;
      // A correction from 40 to 41 is a new revision: the released difference is not the exact +1.
      if (Math.round(a.noisy(hourly(i), 41, 1)) - Math.round(a.noisy(hourly(i), 40, 1)) === 1) shiftedByOne++;
    }
    expect(differs).toBe(n);
    expect(shiftedByOne / n).toBeLessThan(0.5);
  });

  it('is exactly the exact value with noise off', () => {
    const rel = new Releaser(SECRET, { k: 1, epsilon: 1, noise: 'off' });
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.nat(), (exact, i) => rel.noisy(hourly(i), exact, 1) === exact));
  });

  it('takes per-dataset settings over the defaults', () => {
    const p = { defaults: ON, datasets: { flows: { k: 5, epsilon: 0.5 } } };
    expect(settingsFor(p, 'flows')).toEqual({ k: 5, epsilon: 0.5, noise: 'on' });
    expect(settingsFor(p, 'footfall')).toEqual(ON);
  });
});

describe('threshold k', () => {
  it('never releases a value below k, and reports a suppressed one as null, never 0', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 100 }), (noisy, k) => {
        const r = releaseValue(noisy, k);
        if (r.suppressed) expect(r.value).toBeNull();
        else expect(Number.isInteger(r.value) && r.value! >= k).toBe(true);
      }),
    );
  });

  it('holds for every unit, area total and mean, under any settings', () => {
    const settings = fc.record({
      k: fc.integer({ min: 1, max: 50 }),
      epsilon: fc.double({ min: 0.01, max: 10, noNaN: true }),
      noise: fc.constantFrom('on' as const, 'off' as const),
    });
    fc.assert(
      fc.property(settings, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 200 })), { minLength: 1, maxLength: 40 }), (s, units) => {
        const rel = new Releaser(SECRET, s);
        const noisy = units.map(([i, exact]) => rel.noisy(hourly(i), exact, 1));
        for (const [i, exact] of units) {
          const r = rel.release(hourly(i), exact, 1);
          expect(r.value === null ? r.suppressed : !r.suppressed && r.value >= s.k).toBe(true);
        }
        const total = releaseSum(noisy, s.k);
        expect(total.value === null ? total.suppressed : total.value >= s.k).toBe(true);
        const m = releaseMean(
          rel.noisy(hourly(0, undefined, 'dwell_ms'), 3_600_000, DURATION_CAP_MS),
          noisy[0]!,
          s.k,
          DURATION_CAP_MS,
          60_000,
        );
        expect(m.count.value === null ? m.mean === null : m.count.value >= s.k && m.mean! >= 0 && m.mean! <= DURATION_CAP_MS / 60_000).toBe(
          true,
        );
      }),
    );
  });

  it('compares the noisy value: some exact counts above k are suppressed and some below it released', () => {
    const rel = new Releaser(SECRET, ON);
    const at = (exact: number) => Array.from({ length: 2_000 }, (_, i) => rel.release(hourly(i), exact, 1));
    const above = at(12).filter((r) => r.suppressed).length;
    const below = at(8).filter((r) => !r.suppressed).length;
    // Laplace(1): P(noise < -2.5) = P(noise ≥ 1.5) ≈ 0.04 and 0.11.
    expect(above).toBeGreaterThan(20);
    expect(below).toBeGreaterThan(100);
    expect(at(0).every((r) => r.suppressed && r.value === null)).toBe(true);
  });
});

describe('area totals and differencing attacks', () => {
  // An area of seven cells; cell 0 holds 3 (below k = 10), the others 20–70. Every hour is another
  // set of lattice units, so 2,000 hours are 2,000 independent attempts.
  const cells = [
    '8a1f0583176ffff',
    '8a1f05831767fff',
    '8a1f05831747fff',
    '8a1f05831757fff',
    '8a1f0583172ffff',
    '8a1f05831737fff',
    '8a1f05831777fff',
  ];
  const exact = [3, 20, 35, 50, 70, 41, 28];
  const HOURS = 2_000;

  function attack(settings: ReleaseSettings) {
    const rel = new Releaser(SECRET, settings);
    const recovered: number[] = [];
    const fromParent: number[] = [];
    let suppressedX = 0;
    for (let h = 0; h < HOURS; h++) {
      const noisy = cells.map((c, i) => rel.noisy(hourly(h, c), exact[i]!, 1));
      if (rel.release(hourly(h, cells[0]), exact[0]!, 1).suppressed) suppressedX++;
      const withX = releaseSum(noisy, rel.k).value!;
      const without = releaseSum(noisy.slice(1), rel.k).value!;
      recovered.push(withX - without);
      // The parent cell is a lattice unit of its own (its own noise), the children released one by one.
      const parent = rel.release(
        hourly(h, '891f0583177ffff'),
        exact.reduce((a, x) => a + x, 0),
        1,
      ).value!;
      const children = cells.slice(1).map((c, i) => rel.release(hourly(h, c), exact[i + 1]!, 1).value ?? 0);
      fromParent.push(parent - children.reduce((a, x) => a + x, 0));
    }
    return { recovered, fromParent, suppressedX };
  }

  it('area with and without a cell, and a parent against its children, do not give a suppressed count back', () => {
    const { recovered, fromParent, suppressedX } = attack(ON);
    expect(suppressedX / HOURS).toBeGreaterThan(0.99); // 3 + Laplace(1) reaches 10 with probability e^{-6.5}/2
    for (const r of [recovered, fromParent]) {
      const hits = r.filter((x) => x === 3).length / HOURS;
      expect(hits).toBeLessThan(0.5); // the attack fails in a clear majority of attempts
      const errors = r.map((x) => x - 3);
      expect(Math.abs(mean(errors))).toBeLessThan(0.2); // no bias to exploit either
      // The spread of the recovered value is the noise of the units it differs by (at least one
      // Laplace(1): variance 2), plus rounding: averaging attempts needs other units.
      expect(variance(errors)).toBeGreaterThan(1.5);
    }
    // A parent against its children carries the noise of seven units: much wider still.
    expect(variance(fromParent)).toBeGreaterThan(variance(recovered) * 2);
  });

  it('with noise off (a trusted deployment) the same attack recovers the exact count: the threshold alone protects nothing', () => {
    const { recovered, suppressedX } = attack({ k: 10, epsilon: 1, noise: 'off' });
    expect(suppressedX).toBe(HOURS);
    expect(recovered.every((x) => x === 3)).toBe(true);
  });

  it('with noise off and k = 1 every value and every area total is exact', () => {
    const rel = new Releaser(SECRET, OFF1);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 30 }), (xs) => {
        xs.forEach((x, i) => expect(rel.release(hourly(i), x, 1)).toEqual({ value: x, suppressed: false }));
        const total = releaseSum(
          xs.map((x, i) => rel.noisy(hourly(i), x, 1)),
          rel.k,
        );
        expect(total.value).toBe(xs.reduce((a, x) => a + x, 0));
      }),
    );
    expect(releaseMean(36 * 60_000, 3, 1, DURATION_CAP_MS, 60_000)).toEqual({ count: { value: 3, suppressed: false }, mean: 12 });
  });
});
