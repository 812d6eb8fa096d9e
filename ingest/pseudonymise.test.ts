import { describe, expect, it } from 'vitest';
import { canonicalIdentifier, Pseudonymiser } from './pseudonymise.js';

const secret = Buffer.alloc(32, 7);
const day = (iso: string) => Date.parse(iso);

describe('Pseudonymiser', () => {
  const p = new Pseudonymiser({ secret, rotation: 'daily', timeZone: 'Europe/Copenhagen' });

  it('gives one device the same pseudonym within a period, whatever the spelling of its MAC', () => {
    const a = p.hash('device', 'AA:BB:CC:00:11:22', day('2026-11-22T08:00:00+01:00'));
    const b = p.hash('device', 'aa-bb-cc-00-11-22', day('2026-11-22T23:59:00+01:00'));
    expect(a).toEqual(b);
    expect(a.period).toBe('2026-11-22');
    expect(a.hash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(canonicalIdentifier('aabb.cc00.1122')).toBe('aabbcc001122');
  });

  it('cannot be linked across periods, kinds or secrets', () => {
    const raw = 'AA:BB:CC:00:11:22';
    const d1 = p.hash('device', raw, day('2026-11-22T23:59:00+01:00'));
    const d2 = p.hash('device', raw, day('2026-11-23T00:00:00+01:00'));
    expect(d2.period).toBe('2026-11-23');
    expect(d2.hash).not.toBe(d1.hash);
    expect(p.hash('card', raw, day('2026-11-22T12:00:00+01:00')).hash).not.toBe(d1.hash);
    const other = new Pseudonymiser({ secret: Buffer.alloc(32, 8), rotation: 'daily', timeZone: 'Europe/Copenhagen' });
    expect(other.hash('device', raw, day('2026-11-22T23:59:00+01:00')).hash).not.toBe(d1.hash);
    expect(d1.hash).not.toContain('aabbcc');
  });

  it('rotates hourly and weekly when asked, and refuses a short secret', () => {
    const hourly = new Pseudonymiser({ secret, rotation: 'hourly', timeZone: 'UTC' });
    expect(hourly.period(day('2026-11-22T08:59:59Z'))).toBe('2026-11-22T08');
    const weekly = new Pseudonymiser({ secret, rotation: 'weekly', timeZone: 'Europe/Copenhagen' });
    expect(weekly.period(day('2026-11-22T12:00:00+01:00'))).toBe('2026-W47');
    expect(weekly.period(day('2026-11-23T00:30:00+01:00'))).toBe('2026-W48');
    expect(() => new Pseudonymiser({ secret: Buffer.alloc(8), rotation: 'daily', timeZone: 'UTC' })).toThrow(/32 bytes/);
  });
});
