import { describe, expect, it } from 'vitest';
import { cellToChildren, cellToParent, getPentagons, latLngToCell } from 'h3-js';
import { CellCover, compactArea } from './area.js';
import { decide, releasedUntil, type GrantRequest } from './guard.js';
import type { ActiveGrant, Grant } from './grants.js';

const c10 = latLngToCell(55.6786, 12.5786, 10);
const [P7, P8, P9] = [7, 8, 9].map((r) => cellToParent(c10, r)) as [string, string, string];
const sibling8 = cellToChildren(P7, 8).find((c) => c !== P8)!;
const DAY = 86_400_000;
const T = Date.parse('2026-11-20T00:00:00+01:00');

function grant(over: Partial<Grant> & { cells: string[] }): ActiveGrant {
  const g: Grant = {
    id: '0000000000000001',
    tenantId: '00000000000000aa',
    dataset: 'footfall',
    area: null,
    zone: null,
    minResolution: 9,
    from: null,
    to: null,
    createdAt: new Date(0).toISOString(),
    ...over,
  };
  return {
    grant: g,
    fromMs: g.from === null ? null : Date.parse(g.from),
    toMs: g.to === null ? null : Date.parse(g.to),
    cover: new CellCover(g.cells),
  };
}

const ask = (over: Partial<GrantRequest> = {}): GrantRequest => ({
  dataset: 'footfall',
  area: { field: 'cells', cells: [P8] },
  resolution: 9,
  from: T,
  to: T + DAY,
  ...over,
});

describe('grant areas', () => {
  it('compacts complete sibling sets and drops cells inside others', () => {
    expect(compactArea(cellToChildren(P7, 8))).toEqual([P7]);
    expect(compactArea([...cellToChildren(P8, 10), P9, P8.toUpperCase()])).toEqual([P8]);
    const six = cellToChildren(P7, 8).slice(1);
    expect(compactArea(six).sort()).toEqual([...six].sort());
    // A pentagon has six children, all of them make it whole.
    const pentagon = getPentagons(7)[0]!;
    expect(cellToChildren(pentagon, 8)).toHaveLength(6);
    expect(compactArea(cellToChildren(pentagon, 8))).toEqual([pentagon]);
  });

  it('holds a cell when it or an ancestor is an area cell, or all its descendants are', () => {
    const cover = new CellCover([P8]);
    expect(cover.covers(P8)).toBe(true);
    expect(cover.covers(P9)).toBe(true);
    expect(cover.covers(c10)).toBe(true);
    expect(cover.covers(P7)).toBe(false); // one seventh of it
    expect(cover.covers(sibling8)).toBe(false);
    const whole = new CellCover(cellToChildren(P7, 9)); // 49 cells at res 9: all of P7
    expect(whole.covers(P7)).toBe(true);
    const holed = new CellCover(cellToChildren(P7, 9).slice(1));
    expect(holed.covers(P7)).toBe(false);
    expect(holed.covers(cellToChildren(P7, 9)[1]!)).toBe(true);
  });
});

describe('decide', () => {
  it('allows a request inside a grant, and says until when', () => {
    expect(decide([grant({ cells: [P8] })], ask())).toEqual({ ok: true, until: null });
    const to = new Date(T + 2 * DAY).toISOString();
    expect(decide([grant({ cells: [P8], to })], ask())).toEqual({ ok: true, until: T + 2 * DAY });
  });

  it('names the first condition no grant meets', () => {
    const g = grant({ cells: [P8], from: new Date(T).toISOString(), to: new Date(T + DAY).toISOString() });
    expect(decide([], ask())).toMatchObject({ ok: false, code: 'no_grant', field: 'dataset' });
    expect(decide([g], ask({ dataset: 'flows' }))).toMatchObject({ ok: false, code: 'no_grant' });
    expect(decide([g], ask({ resolution: 10 }))).toMatchObject({ ok: false, code: 'resolution_too_fine', field: 'resolution' });
    expect(decide([g], ask({ from: T - 1 }))).toMatchObject({ ok: false, code: 'outside_grant_period', field: 'from' });
    expect(decide([g], ask({ to: T + DAY + 1 }))).toMatchObject({ ok: false, code: 'outside_grant_period', field: 'to' });
    // A live stream (no end) needs a grant still running when it starts, and ends with it.
    expect(decide([g], ask({ to: null }))).toEqual({ ok: true, until: T + DAY });
    expect(decide([g], ask({ from: T + DAY, to: null }))).toMatchObject({ ok: false, code: 'outside_grant_period', field: 'from' });
    const outside = decide([g], ask({ area: { field: 'origin', cells: [P8, sibling8] } }));
    expect(outside).toMatchObject({ ok: false, code: 'outside_grant_area', field: 'origin' });
    expect(outside.ok === false && outside.reason).toContain(sibling8);
    expect(decide([g], ask({ area: { field: 'cells', cells: [P7] } }))).toMatchObject({ code: 'outside_grant_area' });
    // Not cells at all: left for the route to refuse with 400.
    expect(decide([g], ask({ area: { field: 'cells', cells: ['nonsense'] } }))).toMatchObject({ ok: true });
  });

  it('combines grants: each cell inside some grant that allows the resolution and the period', () => {
    const a = grant({ cells: [P8] });
    const b = grant({ cells: [sibling8], minResolution: 8 });
    expect(decide([a, b], ask({ area: { field: 'cells', cells: [P8, sibling8] }, resolution: 8 }))).toMatchObject({ ok: true });
    // At res 9 only grant a applies, and sibling8 is not in it.
    expect(decide([a, b], ask({ area: { field: 'cells', cells: [P8, sibling8] } }))).toMatchObject({ code: 'outside_grant_area' });
  });
});

describe('releasedUntil', () => {
  it('is the end of the last bucket starting before `to`', () => {
    const tz = 'Europe/Copenhagen';
    expect(releasedUntil(T + DAY, '1d', tz)).toBe(T + DAY);
    expect(releasedUntil(T + DAY / 2, '1d', tz)).toBe(T + DAY);
    expect(releasedUntil(T + 7 * 60_000, '5m', tz)).toBe(T + 10 * 60_000);
    expect(releasedUntil(T + 60 * 60_000, '1h', tz)).toBe(T + 60 * 60_000);
    // 2026-11-20 is a Friday: its week runs to Monday 23 November.
    expect(releasedUntil(T + 1, '1w', tz)).toBe(Date.parse('2026-11-23T00:00:00+01:00'));
    // The day DST ends in Copenhagen has 25 hours.
    expect(releasedUntil(Date.parse('2026-10-25T12:00:00+01:00'), '1d', tz)).toBe(Date.parse('2026-10-26T00:00:00+01:00'));
  });
});
