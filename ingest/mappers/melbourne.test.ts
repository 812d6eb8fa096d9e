// melbourne-hourly and melbourne-monthly-wide: the DST gap and repeated hour on inline rows, and
// the whole real files (data/real/melbourne-*) checked against sums, offsets and sensor sets
// computed here straight from the CSV text with plain splits, not with the mappers.

import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CameraInput, SensorInput } from '../../schemas/inputs.js';
import { mapFile } from './map-file.js';
import { createMelbourneHourly, createMelbourneMonthlyWide } from './melbourne.js';
import { recordsOf, rejectsOf, runRows, schemaErrors, thrown, HAS_REAL_DATA, REAL_DATA } from './testing.js';
import type { MapOutput } from './types.js';

const REAL = REAL_DATA;
const HOURLY = `${REAL}/melbourne-pedestrian-counts/hourly_counts_2014-09-01_2014-11-30.csv`;
const LOC_2014 = `${REAL}/melbourne-pedestrian-counts/sensor_locations.csv`;
const MONTHLY = `${REAL}/melbourne-pedestrian-counts-jan2019/January_2019.csv`;
const LOC_2019 = `${REAL}/melbourne-pedestrian-counts-jan2019/sensor_locations.csv`;
const HOUR = 3_600_000;

const locations = [
  { 'Sensor ID': '4', 'Sensor Name': 'Swa123_T', 'Sensor Description': 'Town Hall (West)', Latitude: '-37.8148', Longitude: '144.9660' },
  { 'Sensor ID': '9', 'Sensor Description': 'Southern Cross Station', Latitude: '-37.8183', Longitude: '144.9524' },
];
const row = (date: string, hour: number, sensor: number, n: number | string): Record<string, string> => ({
  Date: date,
  Day_of_week: 'Sunday',
  Hour: String(hour),
  SensorID: String(sensor),
  SensorName: 'x',
  PedestrianCount: String(n),
});

async function all(it: AsyncIterable<MapOutput>): Promise<MapOutput[]> {
  const out: MapOutput[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** Every record's sensor was emitted as a `sensor` output before it. */
function sensorsComeFirst(out: MapOutput[]): boolean {
  const seen = new Set<string>();
  for (const o of out) {
    if (o.kind === 'sensor') seen.add(o.sensor.sensorId);
    else if (o.kind === 'record' && o.source === 'camera' && !seen.has(o.record.sensorId)) return false;
  }
  return true;
}

describe('melbourne-hourly (inline rows)', () => {
  it('an hourly count becomes a one-hour CameraInput with the count in `in` and 0 in `out`, after its sensor', () => {
    const out = runRows(createMelbourneHourly({ sensorLocations: locations }), [row('01-Sep-2014', 8, 4, 1234)]);
    expect(out).toEqual([
      {
        kind: 'sensor',
        sensor: {
          sensorId: 'melbourne-4',
          source: 'camera',
          lat: -37.8148,
          lng: 144.966,
          site: 'Town Hall (West)',
          owner: 'City of Melbourne',
          metadata: { cityOfMelbourneSensorId: 4, name: 'Swa123_T' },
        },
      },
      {
        kind: 'record',
        source: 'camera',
        record: {
          id: 'melbourne-4@2014-09-01T08:00:00+10:00',
          sensorId: 'melbourne-4',
          start: '2014-09-01T08:00:00+10:00',
          end: '2014-09-01T09:00:00+10:00',
          in: 1234,
          out: 0,
          class: 'pedestrian',
          lat: -37.8148,
          lng: 144.966,
        },
      },
    ]);
  });

  it('DST start (2014-10-05): the hour before the gap ends when 03:00 AEDT starts; an Hour=2 row is rejected', () => {
    const out = runRows(createMelbourneHourly({ sensorLocations: locations }), [
      row('05-Oct-2014', 1, 4, 10),
      row('05-Oct-2014', 2, 4, 99),
      row('05-Oct-2014', 3, 4, 30),
    ]);
    expect(recordsOf(out, 'camera').map((r) => [r.start, r.end])).toEqual([
      ['2014-10-05T01:00:00+10:00', '2014-10-05T03:00:00+11:00'],
      ['2014-10-05T03:00:00+11:00', '2014-10-05T04:00:00+11:00'],
    ]);
    expect(rejectsOf(out)).toEqual([
      { kind: 'reject', line: 3, field: 'Hour', reason: expect.stringContaining('does not exist') as string },
    ]);
  });

  it('DST end (2014-04-06): two Hour=2 rows of a sensor are the two different hours, by arrival order; a third is rejected', () => {
    const out = runRows(createMelbourneHourly({ sensorLocations: locations }), [
      row('06-Apr-2014', 2, 4, 20),
      row('06-Apr-2014', 2, 9, 5),
      row('06-Apr-2014', 2, 4, 21),
      row('06-Apr-2014', 2, 4, 22),
      row('06-Apr-2014', 3, 4, 23),
    ]);
    const recs = recordsOf(out, 'camera').filter((r) => r.sensorId === 'melbourne-4');
    expect(recs.map((r) => [r.start, r.in])).toEqual([
      ['2014-04-06T02:00:00+11:00', 20],
      ['2014-04-06T02:00:00+10:00', 21],
      ['2014-04-06T03:00:00+10:00', 23],
    ]);
    expect(recs.map((r) => Date.parse(r.end as string) - Date.parse(r.start as string))).toEqual([HOUR, HOUR, HOUR]);
    expect(recs[0]!.end).toBe(recs[1]!.start);
    expect(rejectsOf(out).map((r) => r.line)).toEqual([5]);
  });

  it('bad rows and sensors without a location are rejects; missing locations are refused up front', () => {
    const out = runRows(createMelbourneHourly({ sensorLocations: locations }), [
      row('01-Sep-2014', 8, 77, 1),
      row('31-Sep-2014', 8, 4, 1),
      row('01-Sep-2014', 24, 4, 1),
      row('01-Sep-2014', 8, 4, 'NaN'),
      { ...row('01-Sep-2014', 8, 4, 1), SensorID: 'NaN' },
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual([
      '2:SensorID',
      '3:Date',
      '4:Hour',
      '5:PedestrianCount',
      '6:SensorID',
    ]);
    expect(thrown(() => createMelbourneHourly())).toMatchObject({ code: 'invalid_mapper_options', fields: [{ field: 'sensorLocations' }] });
    const kept = runRows(createMelbourneHourly({ unlocated: 'keep' }), [row('01-Sep-2014', 8, 77, 1)]);
    expect(recordsOf(kept, 'camera')).toEqual([expect.objectContaining({ sensorId: 'melbourne-77' })]);
    expect(kept.some((o) => o.kind === 'sensor')).toBe(false);
  });
});

describe('melbourne-monthly-wide (inline rows)', () => {
  it('one record per sensor column; -1 and undefined are "no data" and skipped; garbage is a reject naming the column', () => {
    const locs = [
      { sensor_id: '53', sensor_description: 'Collins Street (North)', latitude: '-37.81', longitude: '144.96' },
      { sensor_id: '4', sensor_description: 'Town Hall (West)', latitude: '-37.8148', longitude: '144.966' },
    ];
    const out = runRows(createMelbourneMonthlyWide({ sensorLocations: locs }), [
      { Date: '01/01/2019', Hour: '0', 'Town Hall (West)': '3025', 'Collins St (North)': '-1', 'City Square': 'undefined' },
      { Date: '01/01/2019', Hour: '1', 'Town Hall (West)': '12x', 'Collins St (North)': '7', 'Nowhere St': '5' },
    ]);
    expect(recordsOf(out, 'camera').map((r) => [r.sensorId, r.start, r.in])).toEqual([
      ['melbourne-4', '2019-01-01T00:00:00+11:00', 3025],
      ['melbourne-53', '2019-01-01T01:00:00+11:00', 7],
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual(['3:Town Hall (West)', '3:Nowhere St']);
    expect(sensorsComeFirst(out)).toBe(true);
  });
});

describe.skipIf(!HAS_REAL_DATA)('melbourne-hourly on the real Sep–Nov 2014 file', () => {
  it('maps every row; sums, sensors, offsets and the DST gap agree with the CSV text', async () => {
    const text = readFileSync(HOURLY, 'utf8');
    const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
    expect(lines[0]).toBe('Date,Day_of_week,Hour,SensorID,SensorName,PedestrianCount');
    const months: Record<string, string> = { Sep: '09', Oct: '10', Nov: '11' };
    let total = 0;
    const perSensor = new Map<string, number>();
    const expectedStarts = new Map<string, number>();
    for (const l of lines.slice(1)) {
      const c = l.split(',');
      const [dd, mon, yyyy] = c[0]!.split('-');
      const hour = Number(c[2]);
      const n = Number(c[c.length - 1]);
      total += n;
      perSensor.set(c[3]!, (perSensor.get(c[3]!) ?? 0) + n);
      const day = `${yyyy}-${months[mon!]}-${dd}`;
      // Melbourne moved to AEDT (+11) at 2014-10-05 02:00 local; before that AEST (+10).
      const offset = day < '2014-10-05' || (day === '2014-10-05' && hour < 2) ? '+10:00' : '+11:00';
      const key = `melbourne-${c[3]}|${day}T${String(hour).padStart(2, '0')}:00:00${offset}`;
      expectedStarts.set(key, (expectedStarts.get(key) ?? 0) + 1);
    }
    const located = new Map<string, [number, number]>();
    for (const l of readFileSync(LOC_2014, 'utf8').split(/\r?\n/).slice(1)) {
      const c = l.split(',');
      if (c.length > 3) located.set(c[0]!, [Number(c[c.length - 2]), Number(c[c.length - 1])]);
    }

    const out = await all(mapFile(createMelbourneHourly({ sensorLocations: LOC_2014 }), HOURLY, 'csv'));
    const recs = recordsOf(out, 'camera');
    const sensors = out.filter((o): o is { kind: 'sensor'; sensor: SensorInput } => o.kind === 'sensor').map((o) => o.sensor);

    expect(rejectsOf(out)).toEqual([]);
    expect(recs).toHaveLength(lines.length - 1);
    expect(recs.reduce((a, r) => a + r.in, 0)).toBe(total);
    expect(recs.every((r) => r.out === 0)).toBe(true);
    const mappedPerSensor = new Map<string, number>();
    for (const r of recs) mappedPerSensor.set(r.sensorId, (mappedPerSensor.get(r.sensorId) ?? 0) + r.in);
    expect(mappedPerSensor).toEqual(new Map([...perSensor].map(([id, n]) => [`melbourne-${id}`, n])));

    const withLocation = [...perSensor.keys()].filter((id) => located.has(id));
    expect(sensors.map((s) => s.sensorId).sort()).toEqual(withLocation.map((id) => `melbourne-${id}`).sort());
    for (const s of sensors) expect([s.lat, s.lng]).toEqual(located.get(s.sensorId.replace('melbourne-', '')));
    expect(sensorsComeFirst(out)).toBe(true);

    const starts = new Map<string, number>();
    for (const r of recs) starts.set(`${r.sensorId}|${r.start as string}`, (starts.get(`${r.sensorId}|${r.start as string}`) ?? 0) + 1);
    expect(starts).toEqual(expectedStarts);
    expect(recs.every((r) => Date.parse(r.end as string) - Date.parse(r.start as string) === HOUR)).toBe(true);
    expect(recs.filter((r) => (r.start as string).startsWith('2014-10-05T02:'))).toEqual([]);
    // Per sensor, the hours tile time without overlap, also across the gap.
    const bySensor = new Map<string, CameraInput[]>();
    for (const r of recs) {
      const list = bySensor.get(r.sensorId) ?? [];
      list.push(r);
      bySensor.set(r.sensorId, list);
    }
    const overlaps: string[] = [];
    for (const list of bySensor.values()) {
      const sorted = list.map((r) => [Date.parse(r.start as string), Date.parse(r.end as string)] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++)
        if (sorted[i]![0] < sorted[i - 1]![1]) overlaps.push(`${list[0]!.sensorId} at ${sorted[i]![0]}`);
    }
    expect(overlaps).toEqual([]);
    expect(schemaErrors(out)).toEqual([]);
  });
});

describe.skipIf(!HAS_REAL_DATA)('melbourne-monthly-wide on the real January 2019 file', () => {
  it('maps every valid cell; -1/undefined skipped; sums per sensor, sensors and +11:00 offsets agree with the CSV text', async () => {
    const lines = readFileSync(MONTHLY, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.length > 0);
    const header = lines[0]!.split(',');
    // The two column names that differ from the location table, as the dataset README lists them.
    const alias: Record<string, string> = {
      'Collins St (North)': 'Collins Street (North)',
      'Lincoln-Swanston (W)': 'Lincoln-Swanston (West)',
    };
    let cells = 0;
    let total = 0;
    const perSite = new Map<string, number>();
    const expectedStarts = new Set<string>();
    for (const l of lines.slice(1)) {
      const c = l.split(',');
      const [dd, mm, yyyy] = c[0]!.split('/');
      for (let j = 2; j < header.length; j++) {
        const v = c[j] ?? '';
        if (v === '-1' || v === 'undefined' || v === '') continue;
        const site = alias[header[j]!] ?? header[j]!;
        cells++;
        total += Number(v);
        perSite.set(site, (perSite.get(site) ?? 0) + Number(v));
        expectedStarts.add(`${site}|${yyyy}-${mm}-${dd}T${c[1]!.padStart(2, '0')}:00:00+11:00`);
      }
    }
    const table = parse<Record<string, string>>(readFileSync(LOC_2019, 'utf8'), { columns: true, bom: true });
    const coords = new Map(table.map((r) => [r.sensor_description!, [Number(r.latitude), Number(r.longitude)]]));

    const out = await all(mapFile(createMelbourneMonthlyWide({ sensorLocations: LOC_2019 }), MONTHLY, 'csv'));
    const recs = recordsOf(out, 'camera');
    const sensors = new Map(out.flatMap((o) => (o.kind === 'sensor' ? [[o.sensor.sensorId, o.sensor] as const] : [])));

    expect(rejectsOf(out)).toEqual([]);
    expect(recs).toHaveLength(cells);
    expect(recs.reduce((a, r) => a + r.in, 0)).toBe(total);
    const mappedPerSite = new Map<string, number>();
    for (const r of recs) {
      const site = sensors.get(r.sensorId)!.site!;
      mappedPerSite.set(site, (mappedPerSite.get(site) ?? 0) + r.in);
    }
    expect(mappedPerSite).toEqual(perSite);
    expect(sensors.size).toBe(perSite.size);
    expect(out.filter((o) => o.kind === 'sensor')).toHaveLength(perSite.size);
    for (const s of sensors.values()) expect([s.lat, s.lng]).toEqual(coords.get(s.site!));
    expect(new Set(recs.map((r) => `${sensors.get(r.sensorId)!.site!}|${r.start as string}`))).toEqual(expectedStarts);
    expect(recs.every((r) => Date.parse(r.end as string) - Date.parse(r.start as string) === HOUR)).toBe(true);
    expect(sensorsComeFirst(out)).toBe(true);
    expect(schemaErrors(out)).toEqual([]);

    // Deterministic: a second run gives the same outputs in the same order.
    const again = await all(mapFile(createMelbourneMonthlyWide({ sensorLocations: LOC_2019 }), MONTHLY, 'csv'));
    expect(again).toEqual(out);
  });
});
