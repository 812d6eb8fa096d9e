import { describe, expect, it } from 'vitest';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { baseCell } from './locate.js';

describe('baseCell', () => {
  it('gives the base cell of a coordinate, the same from the cache, past the cache limit too', () => {
    let seed = 7;
    const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    // A few coordinates repeated (sensors), then enough distinct ones to clear the cache at least once.
    const fixed = Array.from({ length: 20 }, () => [55.6 + rand() / 10, 12.5 + rand() / 10] as const);
    for (let round = 0; round < 3; round++) {
      for (const [lat, lng] of fixed) expect(baseCell(lat, lng)).toBe(cellToUInt64(cellOf(lat, lng)));
    }
    for (let i = 0; i < 120_000; i++) {
      const lat = -80 + 160 * rand();
      const lng = -180 + 360 * rand();
      const cell = baseCell(lat, lng);
      if (i % 997 === 0) expect(cell).toBe(cellToUInt64(cellOf(lat, lng)));
    }
    for (const [lat, lng] of fixed) expect(baseCell(lat, lng)).toBe(cellToUInt64(cellOf(lat, lng)));
    // Same latitude, different longitudes: different cells.
    expect(baseCell(55.68, 12.57)).not.toBe(baseCell(55.68, 12.6));
    expect(baseCell(0, -0)).toBe(cellToUInt64(cellOf(0, 0)));
  });
});
