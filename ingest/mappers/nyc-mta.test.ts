// nyc-mta-turnstile: station lookup (GTFS station, booth fallback, unlocated turnstiles) on inline
// rows, and the whole real partial-week file checked against interval sums, rejects and station
// sets computed here from the CSV text with plain splits and the README's rules.

import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapFile } from './map-file.js';
import { createNycMtaTurnstile, nycMtaSideFiles } from './nyc-mta.js';
import { recordsOf, rejectsOf, runRows, schemaErrors, thrown, HAS_REAL_DATA, REAL_DATA } from './testing.js';
import type { MapOutput } from './types.js';

const DIR = `${REAL_DATA}/nyc-mta-turnstile-partial-week-2017`;
const FILE = `${DIR}/turnstile_170624_partial.csv`;

const side = {
  stationLookup: [{ booth: 'A002', remote: 'R051', station_id: '7' }],
  stations: [
    {
      'Station ID': '7',
      'GTFS Latitude': '40.76266',
      'GTFS Longitude': '-73.967258',
      'Stop Name': 'Lexington Av/59 St',
      'Complex ID': '613',
    },
  ],
  booths: [{ booth: 'Z001', lat: '40.1', lon: '-73.9', station_name: 'Booth Only St' }],
};

function reading(ca: string, unit: string, time: string, entries: number, exits: number, desc = 'REGULAR'): Record<string, string> {
  return {
    'C/A': ca,
    UNIT: unit,
    SCP: '02-00-00',
    STATION: 'X',
    LINENAME: 'NQR',
    DIVISION: 'BMT',
    DATE: '06/17/2017',
    TIME: time,
    DESC: desc,
    ENTRIES: String(entries).padStart(10, '0'),
    EXITS: String(exits).padStart(10, '0'),
  };
}

describe('nyc-mta-turnstile (inline rows)', () => {
  it('locates turnstiles at their GTFS station (booth coordinates as fallback); sensor first, then gate counts', () => {
    const out = runRows(createNycMtaTurnstile(side), [
      reading('A002', 'R051', '00:00:00', 6224816, 2107317),
      reading('A002', 'R051', '04:00:00', 6224850, 2107322),
      reading('Z001', 'R999', '01:00:00', 10, 10),
      reading('Z001', 'R999', '05:00:00', 12, 10),
      reading('Z001', 'R999', '05:00:00', 12, 10, 'RECOVR AUD'),
    ]);
    expect(schemaErrors(out)).toEqual([]);
    expect(
      out.map((o) =>
        o.kind === 'sensor' ? `sensor:${o.sensor.sensorId}` : o.kind === 'record' ? 'record' : `reject:${o.line}:${o.field}`,
      ),
    ).toEqual(['sensor:mta-7', 'record', 'record', 'sensor:mta-booth-Z001', 'record', 'record', 'reject:6:TIME']);
    expect(recordsOf(out, 'ticketing').slice(0, 2)).toEqual([
      {
        id: 'A002/R051/02-00-00@2017-06-17T00:00:00-04:00:entries',
        stationId: 'mta-7',
        kind: 'gate_entry',
        start: '2017-06-17T00:00:00-04:00',
        end: '2017-06-17T04:00:00-04:00',
        count: 34,
        mode: 'subway',
        lat: 40.76266,
        lng: -73.967258,
      },
      {
        id: 'A002/R051/02-00-00@2017-06-17T00:00:00-04:00:exits',
        stationId: 'mta-7',
        kind: 'gate_exit',
        start: '2017-06-17T00:00:00-04:00',
        end: '2017-06-17T04:00:00-04:00',
        count: 5,
        mode: 'subway',
        lat: 40.76266,
        lng: -73.967258,
      },
    ]);
  });

  it('a turnstile without coordinates: every row rejected by default; with unlocated: keep, records without location and no sensor', () => {
    const rows = [reading('Q001', 'R000', '00:00:00', 1, 1), reading('Q001', 'R000', '04:00:00', 3, 2)];
    expect(rejectsOf(runRows(createNycMtaTurnstile(side), rows)).map((r) => `${r.line}:${r.field}`)).toEqual(['2:C/A', '3:C/A']);
    const kept = runRows(createNycMtaTurnstile({ ...side, unlocated: 'keep' }), rows);
    expect(kept.some((o) => o.kind === 'sensor')).toBe(false);
    expect(recordsOf(kept, 'ticketing').map((r) => [r.stationId, r.count, r.lat])).toEqual([
      ['mta-unit-R000', 2, undefined],
      ['mta-unit-R000', 1, undefined],
    ]);
    expect(thrown(() => createNycMtaTurnstile({}))).toMatchObject({ code: 'invalid_mapper_options' });
  });

  it('bad rows are rejects', () => {
    const out = runRows(createNycMtaTurnstile(side), [
      { ...reading('A002', 'R051', '00:00:00', 1, 1), DATE: '2017-06-17' },
      { ...reading('A002', 'R051', '00:00:00', 1, 1), TIME: '4pm' },
      { ...reading('A002', 'R051', '00:00:00', 1, 1), ENTRIES: '-5' },
      { ...reading('A002', 'R051', '00:00:00', 1, 1), SCP: '' },
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual(['2:DATE', '3:TIME', '4:ENTRIES', '5:SCP']);
  });
});

describe.skipIf(!HAS_REAL_DATA)('nyc-mta-turnstile on the real partial-week file', () => {
  it('gate counts, rejects and stations agree with differences computed from the CSV text', async () => {
    // Independent reading of the file: trim the padding, split on commas, difference per turnstile
    // in file order with the documented rules (≤ 60 per minute, ≤ 24 h gaps, no negatives).
    const lines = readFileSync(FILE, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    expect(lines[0]).toBe('C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS');
    const last = new Map<string, { t: number; e: number; x: number }>();
    let entries = 0;
    let exits = 0;
    let entryIntervals = 0;
    let exitIntervals = 0;
    const rejected = { ENTRIES: 0, EXITS: 0, TIME: 0 };
    const pairsWithRecords = new Set<string>();
    const devicePair = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.split(',');
      const device = `${c[0]}/${c[1]}/${c[2]}`;
      devicePair.set(device, `${c[0]}|${c[1]}`);
      const [mm, dd, yyyy] = c[6]!.split('/').map(Number);
      const [hh, mi, ss] = c[7]!.split(':').map(Number);
      // No DST change in the week, so wall-clock differences are real differences.
      const t = Date.UTC(yyyy!, mm! - 1, dd, hh, mi, ss);
      const e = Number(c[9]);
      const x = Number(c[10]);
      const prev = last.get(device);
      if (prev !== undefined && t <= prev.t) {
        rejected.TIME++;
        continue;
      }
      last.set(device, { t, e, x });
      if (prev === undefined) continue;
      const minutes = (t - prev.t) / 60_000;
      for (const [d, name] of [
        [e - prev.e, 'ENTRIES'],
        [x - prev.x, 'EXITS'],
      ] as const) {
        if (minutes > 24 * 60) rejected.TIME++;
        else if (d < 0 || d > 60 * Math.max(1, minutes)) rejected[name]++;
        else {
          pairsWithRecords.add(`${c[0]}|${c[1]}`);
          if (name === 'ENTRIES') {
            entries += d;
            entryIntervals++;
          } else {
            exits += d;
            exitIntervals++;
          }
        }
      }
    }
    const lookup = parse<Record<string, string>>(readFileSync(`${DIR}/remote_booth_station_lookup.csv`, 'utf8'), { columns: true });
    const gtfs = parse<Record<string, string>>(readFileSync(`${DIR}/mta_gtfs_stations.csv`, 'utf8'), { columns: true });
    const stationOfPair = new Map(lookup.map((r) => [`${r.booth}|${r.remote}`, r.station_id!]));
    const coords = new Map<string, [number, number]>();
    for (const r of gtfs)
      if (!coords.has(r['Station ID']!)) coords.set(r['Station ID']!, [Number(r['GTFS Latitude']), Number(r['GTFS Longitude'])]);

    const out: MapOutput[] = [];
    for await (const o of mapFile(createNycMtaTurnstile(nycMtaSideFiles(DIR)), FILE, 'csv')) out.push(o);
    const recs = recordsOf(out, 'ticketing');
    const gateEntries = recs.filter((r) => r.kind === 'gate_entry');
    const gateExits = recs.filter((r) => r.kind === 'gate_exit');

    expect(gateEntries.reduce((a, r) => a + r.count!, 0)).toBe(entries);
    expect(gateExits.reduce((a, r) => a + r.count!, 0)).toBe(exits);
    expect(gateEntries).toHaveLength(entryIntervals);
    expect(gateExits).toHaveLength(exitIntervals);
    const rejects = rejectsOf(out);
    expect({
      ENTRIES: rejects.filter((r) => r.field === 'ENTRIES').length,
      EXITS: rejects.filter((r) => r.field === 'EXITS').length,
      TIME: rejects.filter((r) => r.field === 'TIME').length,
    }).toEqual(rejected);
    expect(rejects).toHaveLength(rejected.ENTRIES + rejected.EXITS + rejected.TIME);

    // Stations: one sensor per station that has records, at its GTFS coordinates, before its first record.
    const expectedStations = new Set([...pairsWithRecords].map((p) => `mta-${stationOfPair.get(p)}`));
    const sensorOutputs = out.filter((o) => o.kind === 'sensor');
    expect(new Set(sensorOutputs.map((o) => o.sensor.sensorId))).toEqual(expectedStations);
    expect(sensorOutputs).toHaveLength(expectedStations.size);
    for (const o of sensorOutputs) expect([o.sensor.lat, o.sensor.lng]).toEqual(coords.get(o.sensor.sensorId.slice(4)));
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const o of out) {
      if (o.kind === 'sensor') seen.add(o.sensor.sensorId);
      if (o.kind === 'record' && o.source === 'ticketing' && !seen.has(o.record.stationId))
        problems.push(`${o.record.id} before its station`);
    }
    for (const r of recs) {
      const device = r.id!.split('@')[0]!;
      if (r.stationId !== `mta-${stationOfPair.get(devicePair.get(device)!)}`) problems.push(`${r.id} at ${r.stationId}`);
      if (!(Date.parse(r.start as string) < Date.parse(r.end as string))) problems.push(`${r.id} ends before it starts`);
      if (!(r.start as string).endsWith('-04:00') || !(r.end as string).endsWith('-04:00')) problems.push(`${r.id} not in EDT`);
    }
    expect(problems).toEqual([]);
    expect(schemaErrors(out)).toEqual([]);
  });
});
