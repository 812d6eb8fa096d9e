// The registry: every name creates its mapper (with the minimal options it needs), names and
// sources match, option schemas are listed, unknown names and bad options fail with codes, and
// no mapper throws on arbitrary garbage rows (random JSON values are rejects or nothing).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMapper, MAPPER_NAMES, MAPPER_OPTIONS, MAPPERS, type MapperName } from './index.js';
import { thrown } from './testing.js';

const MINIMAL: Record<MapperName, unknown> = {
  'camera-export': {},
  'wifi-meraki': { secret: 's' },
  'wifi-visits': {},
  'ticketing-taps': {},
  'ticketing-turnstile': {},
  'telco-events': {},
  'melbourne-hourly': { unlocated: 'keep' },
  'melbourne-monthly-wide': { unlocated: 'keep' },
  'nyc-mta-turnstile': { unlocated: 'keep' },
  'hokuriku-stays': { facility: 1, unlocated: 'keep' },
};

const SOURCES: Record<MapperName, string> = {
  'camera-export': 'camera',
  'wifi-meraki': 'wifi',
  'wifi-visits': 'wifi',
  'ticketing-taps': 'ticketing',
  'ticketing-turnstile': 'ticketing',
  'telco-events': 'telco',
  'melbourne-hourly': 'camera',
  'melbourne-monthly-wide': 'camera',
  'nyc-mta-turnstile': 'ticketing',
  'hokuriku-stays': 'wifi',
};

describe('MAPPERS', () => {
  it('has the ten mappers, each with its options schema, creating mappers of that name and source', () => {
    expect([...MAPPER_NAMES].sort()).toEqual(Object.keys(SOURCES).sort());
    for (const name of MAPPER_NAMES) {
      expect(MAPPER_OPTIONS[name]).toHaveProperty('type', 'object');
      const m = MAPPERS[name](MINIMAL[name]);
      expect([m.name, m.source]).toEqual([name, SOURCES[name]]);
      expect(m.description.length).toBeGreaterThan(10);
    }
  });

  it('unknown mapper names and unknown option keys are refused with codes', () => {
    expect(thrown(() => createMapper('excel-magic'))).toMatchObject({ code: 'unknown_mapper', status: 400 });
    expect(thrown(() => createMapper('toString'))).toMatchObject({ code: 'unknown_mapper' });
    for (const name of MAPPER_NAMES)
      expect(thrown(() => createMapper(name, { ...(MINIMAL[name] as object), nonsense: 1 }))).toMatchObject({
        code: 'invalid_mapper_options',
      });
  });

  it('never throws on arbitrary rows: every output is a valid kind, every reject has a line, field and reason', () => {
    const mappers = MAPPER_NAMES.map((n) => createMapper(n, MINIMAL[n]));
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.jsonValue(),
            fc.dictionary(
              fc.constantFrom('sensor', 'start', 'end', 'in', 'out', 'time', 'Date', 'Hour', 'dt', 'secret', 'version', 'data'),
              fc.jsonValue(),
            ),
          ),
          { maxLength: 20 },
        ),
        (rows) => {
          for (const m of mappers) {
            rows.forEach((row, i) => {
              for (const o of m.push(row, i + 1)) {
                expect(['record', 'sensor', 'reject']).toContain(o.kind);
                if (o.kind === 'reject') expect(o.line === i + 1 && o.field.length > 0 && o.reason.length > 0).toBe(true);
              }
            });
            m.end();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
