// wifi-visits: a visit becomes sightings at its start and end (one when the dwell is 0), from a
// dwell (seconds or HH:MM:SS) or an end column, in local time across DST; bad rows rejected.

import { describe, expect, it } from 'vitest';
import { createWifiVisits } from './wifi-visits.js';
import { recordsOf, rejectsOf, runRows, runText, schemaErrors } from './testing.js';

describe('wifi-visits', () => {
  it('two sightings per visit, one when the dwell is 0; dwell as HH:MM:SS or seconds; the written offset kept', async () => {
    const csv =
      'device,site,start,dwell\nd1,shop-1,2024-09-25T14:56:24+09:00,07:10:04\nd2,shop-1,2024-09-25T15:00:00+09:00,0\nd3,shop-2,2024-09-25T23:59:00+09:00,90\n';
    const out = await runText(createWifiVisits(), csv, 'csv');
    expect(schemaErrors(out)).toEqual([]);
    expect(recordsOf(out, 'wifi')).toEqual([
      { sensorId: 'shop-1', deviceId: 'd1', seenAt: '2024-09-25T14:56:24+09:00' },
      { sensorId: 'shop-1', deviceId: 'd1', seenAt: '2024-09-25T22:06:28+09:00' },
      { sensorId: 'shop-1', deviceId: 'd2', seenAt: '2024-09-25T15:00:00+09:00' },
      { sensorId: 'shop-2', deviceId: 'd3', seenAt: '2024-09-25T23:59:00+09:00' },
      { sensorId: 'shop-2', deviceId: 'd3', seenAt: '2024-09-26T00:00:30+09:00' },
    ]);
  });

  it('an end column instead of a dwell, local times in a zone (the end shown with the offset after the DST change)', () => {
    const out = runRows(createWifiVisits({ zone: 'Europe/Copenhagen', sensorPrefix: 'cph-' }), [
      { mac: 'AA:BB', sensor: 's', first_seen: '2026-10-25 01:30', last_seen: '2026-10-25 04:00', lat: '55.6', lng: '12.5' },
    ]);
    expect(recordsOf(out, 'wifi')).toEqual([
      { sensorId: 'cph-s', deviceId: 'AA:BB', seenAt: '2026-10-25T01:30:00+02:00', lat: 55.6, lng: 12.5 },
      { sensorId: 'cph-s', deviceId: 'AA:BB', seenAt: '2026-10-25T04:00:00+01:00', lat: 55.6, lng: 12.5 },
    ]);
  });

  it('bad rows: missing fields, bad dwell, end before start, dwell over maxDwellMs', () => {
    const ok = { device: 'd', sensor: 's', start: '2024-01-01T10:00:00Z', dwell: '60' };
    const out = runRows(createWifiVisits({ maxDwellMs: 3_600_000 }), [
      { ...ok, device: undefined },
      { ...ok, sensor: 'a b' },
      { ...ok, start: 'yesterday' },
      { ...ok, dwell: '-5' },
      { ...ok, dwell: '1:99:00' },
      { ...ok, dwell: undefined },
      { ...ok, dwell: undefined, end: '2024-01-01T09:00:00Z' },
      { ...ok, dwell: '02:00:00' },
      ok,
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual([
      '2:device',
      '3:sensor',
      '4:start',
      '5:dwell',
      '6:dwell',
      '7:dwell',
      '8:end',
      '9:dwell',
    ]);
    expect(recordsOf(out, 'wifi')).toHaveLength(2);
  });
});
