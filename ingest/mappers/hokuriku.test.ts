// hokuriku-stays: stays → sightings at start and start + spend with the facility as the sensor, on
// inline rows and on four real facility files, checked against times and counts computed here
// from the CSV text with plain splits.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHokurikuStays, hokurikuFacilityFromPath } from './hokuriku.js';
import { mapFile } from './map-file.js';
import { recordsOf, rejectsOf, runRows, schemaErrors, thrown, HAS_REAL_DATA, REAL_DATA } from './testing.js';
import type { MapOutput } from './types.js';

const DIR = `${REAL_DATA}/hokuriku-wifi-packet-sensing-2024`;
const FACILITIES = `${DIR}/facility_list.csv`;

describe('hokuriku-stays (inline rows)', () => {
  const facilities = [
    {
      'No.': '6',
      緯度: '36.70',
      経度: '137.21',
      '施設名(ローマ字)': 'Masunosushi',
      '施設名(日本語)': 'ます',
      エリア: '富山',
      業種: '飲食',
    },
  ];

  it('a stay is two sightings (one when spend is 00:00:00), device hokuriku-user-<id>, after the facility sensor', () => {
    const out = runRows(createHokurikuStays({ facility: '6', facilities }), [
      { dt: '2024-09-25T14:56:24+09:00', spend: '07:10:04', userid: '3524' },
      { dt: '2024-09-25T15:00:00+09:00', spend: '00:00:00', userid: '703' },
    ]);
    expect(schemaErrors(out)).toEqual([]);
    expect(out).toEqual([
      {
        kind: 'sensor',
        sensor: {
          sensorId: 'hokuriku-6',
          source: 'wifi',
          lat: 36.7,
          lng: 137.21,
          site: 'Masunosushi',
          owner: 'Hokuriku Inbound Tourism DX/Data Consortium',
          metadata: { facilityNo: 6, nameJa: 'ます', area: '富山', type: '飲食' },
        },
      },
      {
        kind: 'record',
        source: 'wifi',
        record: { sensorId: 'hokuriku-6', deviceId: 'hokuriku-user-3524', seenAt: '2024-09-25T14:56:24+09:00', lat: 36.7, lng: 137.21 },
      },
      {
        kind: 'record',
        source: 'wifi',
        record: { sensorId: 'hokuriku-6', deviceId: 'hokuriku-user-3524', seenAt: '2024-09-25T22:06:28+09:00', lat: 36.7, lng: 137.21 },
      },
      {
        kind: 'record',
        source: 'wifi',
        record: { sensorId: 'hokuriku-6', deviceId: 'hokuriku-user-703', seenAt: '2024-09-25T15:00:00+09:00', lat: 36.7, lng: 137.21 },
      },
    ]);
  });

  it('bad rows are rejects; an unknown facility or no facility list is refused up front', () => {
    const out = runRows(createHokurikuStays({ facility: 6, facilities }), [
      { dt: '2024-09-25T14:56:24+09:00', spend: '07:10:04', userid: 'x' },
      { dt: '2024-09-25 14:56:24', spend: '07:10:04', userid: '1' },
      { dt: '2024-09-25T14:56:24+09:00', spend: '7h', userid: '1' },
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual(['2:userid', '3:dt', '4:spend']);
    expect(thrown(() => createHokurikuStays({ facility: 99, facilities }))).toMatchObject({ code: 'invalid_mapper_options' });
    expect(thrown(() => createHokurikuStays({ facility: 6 }))).toMatchObject({ fields: [{ field: 'facilities' }] });
    expect(hokurikuFacilityFromPath('/data/move/06.csv')).toBe('6');
    expect(hokurikuFacilityFromPath('/data/move/list.csv')).toBeNull();
  });
});

describe.skipIf(!HAS_REAL_DATA)('hokuriku-stays on real facility files', () => {
  it.each(['1', '10', '60', '79'])(
    'move/%s.csv: every stay maps to its sightings; times, devices and the facility agree with the CSV text',
    async (no) => {
      const path = `${DIR}/move/${no}.csv`;
      const lines = readFileSync(path, 'utf8')
        .replace(/^\uFEFF/, '')
        .split(/\r?\n/)
        .filter((l) => l.length > 0);
      expect(lines[0]).toBe('dt,spend,userid');
      const expected: [string, number][] = [];
      for (const l of lines.slice(1)) {
        const [dt, spend, user] = l.split(',');
        const [h, m, s] = spend!.split(':').map(Number);
        expected.push([`hokuriku-user-${user}`, Date.parse(dt!)]);
        if (spend !== '00:00:00') expected.push([`hokuriku-user-${user}`, Date.parse(dt!) + ((h! * 60 + m!) * 60 + s!) * 1000]);
      }
      const facility = readFileSync(FACILITIES, 'utf8')
        .replace(/^\uFEFF/, '')
        .split(/\r?\n/)
        .map((l) => l.split(','))
        .find((c) => c[0] === no)!;

      const out: MapOutput[] = [];
      for await (const o of mapFile(
        createHokurikuStays({ facility: hokurikuFacilityFromPath(path)!, facilities: FACILITIES }),
        path,
        'csv',
      ))
        out.push(o);
      const recs = recordsOf(out, 'wifi');
      expect(rejectsOf(out)).toEqual([]);
      expect(out[0]).toMatchObject({
        kind: 'sensor',
        sensor: { sensorId: `hokuriku-${no}`, lat: Number(facility[5]), lng: Number(facility[6]), site: facility[4] },
      });
      expect(out.filter((o) => o.kind === 'sensor')).toHaveLength(1);
      expect(recs.map((r) => [r.deviceId, Date.parse(r.seenAt as string)])).toEqual(expected);
      expect(recs.every((r) => r.sensorId === `hokuriku-${no}` && (r.seenAt as string).endsWith('+09:00'))).toBe(true);
      expect(schemaErrors(out)).toEqual([]);
    },
  );
});
