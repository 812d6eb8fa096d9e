// telco-events: events with the cell location in the row or from a cell list, home country and
// segment (aliases, derived from the operator's country), local times, and bad rows.

import { describe, expect, it } from 'vitest';
import { createTelcoEvents } from './telco-events.js';
import { recordsOf, rejectsOf, runRows, runText, schemaErrors } from './testing.js';

describe('telco-events', () => {
  it('maps events with the cell location from the row or the cell list; segment aliases; country upper-cased', async () => {
    const csv = [
      'imsi,cell_id,timestamp,cell_lat,cell_lon,home_country,segment',
      '238010000000001,cph-0001,2026-11-22T08:00:00+01:00,55.676,12.568,dk,residents',
      '262010000000002,cph-0002,2026-11-22T08:01:00+01:00,,,DE,Inbound roamer',
    ].join('\n');
    const out = await runText(createTelcoEvents({ cells: [{ cellId: 'cph-0002', lat: '55.68', lon: '12.59' }] }), csv, 'csv');
    expect(schemaErrors(out)).toEqual([]);
    expect(recordsOf(out, 'telco')).toEqual([
      {
        deviceId: '238010000000001',
        networkCellId: 'cph-0001',
        seenAt: '2026-11-22T08:00:00+01:00',
        lat: 55.676,
        lng: 12.568,
        homeCountry: 'DK',
        segment: 'resident',
      },
      {
        deviceId: '262010000000002',
        networkCellId: 'cph-0002',
        seenAt: '2026-11-22T08:01:00+01:00',
        lat: 55.68,
        lng: 12.59,
        homeCountry: 'DE',
        segment: 'international_visitor',
      },
    ]);
  });

  it('derives international_visitor from operatorCountry when no segment is given; reads local times in a zone', () => {
    const out = runRows(createTelcoEvents({ operatorCountry: 'dk', zone: 'Europe/Copenhagen' }), [
      { device: 'a', cell: 'c1', time: '2026-07-01 12:00', lat: 55, lng: 12, country: 'SE' },
      { device: 'b', cell: 'c1', time: '2026-07-01 12:00', lat: 55, lng: 12, country: 'DK' },
    ]);
    expect(recordsOf(out, 'telco').map((r) => [r.seenAt, r.segment])).toEqual([
      ['2026-07-01T12:00:00+02:00', 'international_visitor'],
      ['2026-07-01T12:00:00+02:00', undefined],
    ]);
  });

  it('bad rows: no location for the cell, bad country, unknown segment, missing device, bad time', () => {
    const ok = { device: 'a', cell: 'c1', time: '2026-07-01T12:00:00Z', lat: 55, lng: 12 };
    const out = runRows(createTelcoEvents(), [
      { ...ok, lat: undefined, lng: undefined },
      { ...ok, homeCountry: 'DNK' },
      { ...ok, segment: 'tourist' },
      { ...ok, device: ' ' },
      { ...ok, time: '2026-07-01 12:00' },
      { ...ok, cell: 'c 1' },
      ok,
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual([
      '2:lat',
      '3:homeCountry',
      '4:segment',
      '5:device',
      '6:time',
      '7:cell',
    ]);
    expect(recordsOf(out, 'telco')).toHaveLength(1);
  });
});
