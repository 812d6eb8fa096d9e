// ticketing-taps: TIDES fare_transactions (Enter/Exit → tap_in/tap_out, purchases skipped, group
// size, fare media id as card), stop locations from a GTFS stops side file emitted as sensors
// first, and TIDES station_activities (entries/exits per period, clock times, midnight).

import { describe, expect, it } from 'vitest';
import { createTicketingTaps } from './ticketing-taps.js';
import { recordsOf, rejectsOf, runRows, runText, schemaErrors } from './testing.js';

const stops = [
  { stop_id: 'N01', stop_name: 'Nørreport', stop_lat: '55.6833', stop_lon: '12.5715' },
  { stop_id: 'K02', stop_name: 'Kongens Nytorv', stop_lat: '55.6795', stop_lon: '12.5850' },
];

describe('ticketing-taps', () => {
  it('TIDES fare transactions: Enter/Exit become taps with card and group size; purchases are not passages', async () => {
    const csv = [
      'transaction_id,service_date,event_timestamp,amount,fare_action,stop_id,group_size,fare_media_id,route_type',
      't1,2026-11-22,2026-11-22T08:00:05+01:00,2.5,Enter,N01,,card-123,1',
      't2,2026-11-22,2026-11-22T08:11:40+01:00,0,Exit,K02,2,card-123,1',
      't3,2026-11-22,2026-11-22T08:12:00+01:00,20,Purchase,K02,,card-123,',
      't4,2026-11-22,2026-11-22T08:13:00+01:00,0,Teleport,K02,,card-9,',
    ].join('\n');
    const out = await runText(createTicketingTaps({ stops, stationPrefix: 'm-' }), csv, 'csv');
    expect(schemaErrors(out)).toEqual([]);
    expect(out.map((o) => (o.kind === 'sensor' ? `sensor:${o.sensor.sensorId}` : o.kind))).toEqual([
      'sensor:m-N01',
      'record',
      'sensor:m-K02',
      'record',
      'reject',
    ]);
    expect(recordsOf(out, 'ticketing')).toEqual([
      {
        id: 't1',
        stationId: 'm-N01',
        kind: 'tap_in',
        start: '2026-11-22T08:00:05+01:00',
        mode: 'subway',
        cardId: 'card-123',
        lat: 55.6833,
        lng: 12.5715,
      },
      {
        id: 't2',
        stationId: 'm-K02',
        kind: 'tap_out',
        start: '2026-11-22T08:11:40+01:00',
        count: 2,
        mode: 'subway',
        cardId: 'card-123',
        lat: 55.6795,
        lng: 12.585,
      },
    ]);
    expect(rejectsOf(out)).toEqual([
      { kind: 'reject', line: 5, field: 'fare_action', reason: expect.stringContaining('Teleport') as string },
    ]);
  });

  it('unknown stops: kept without location by default (sensor registered elsewhere), rejected with unlocated: reject', () => {
    const row = { event_timestamp: '2026-11-22T08:00:00Z', fare_action: 'tap-in', stop_id: 'X9' };
    expect(recordsOf(runRows(createTicketingTaps({ stops, mode: 'metro' }), [row]), 'ticketing')).toEqual([
      { stationId: 'X9', kind: 'tap_in', start: '2026-11-22T08:00:00Z', mode: 'metro' },
    ]);
    expect(rejectsOf(runRows(createTicketingTaps({ stops, unlocated: 'reject' }), [row])).map((r) => r.field)).toEqual(['stop_id']);
  });

  it('TIDES station activities: entries and exits per period; clock times on the service date; periods crossing midnight', () => {
    const out = runRows(createTicketingTaps({ zone: 'Europe/Copenhagen', mode: 'metro' }), [
      {
        date: '2026-11-22',
        stop_id: 'N01',
        time_period_start: '07:00:00',
        time_period_end: '08:00:00',
        total_entries: '120',
        total_exits: '80',
      },
      { date: '2026-11-22', stop_id: 'N01', time_period_start: '23:30:00', time_period_end: '00:30:00', total_entries: '5' },
      { date: '2026-11-22', stop_id: 'N01', time_period_start: '23:00:00', time_period_end: '24:00:00', total_exits: '7' },
      {
        date: '2026-11-22',
        stop_id: 'N01',
        time_period_start: '2026-11-22T09:00:00+01:00',
        time_period_end: '2026-11-22T08:00:00+01:00',
        total_entries: '1',
      },
      { date: '2026-11-22', stop_id: 'N01', time_period_start: '09:00', time_period_end: '10:00', total_entries: '-3' },
    ]);
    expect(recordsOf(out, 'ticketing').map((r) => [r.kind, r.start, r.end, r.count])).toEqual([
      ['gate_entry', '2026-11-22T07:00:00+01:00', '2026-11-22T08:00:00+01:00', 120],
      ['gate_exit', '2026-11-22T07:00:00+01:00', '2026-11-22T08:00:00+01:00', 80],
      ['gate_entry', '2026-11-22T23:30:00+01:00', '2026-11-23T00:30:00+01:00', 5],
      ['gate_exit', '2026-11-22T23:00:00+01:00', '2026-11-23T00:00:00+01:00', 7],
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual(['5:time_period_end', '6:total_entries']);
  });

  it('bad rows are rejects, never exceptions', () => {
    const out = runRows(createTicketingTaps(), [
      { event_timestamp: '2026-11-22T08:00:00Z', stop_id: 'N01' },
      { event_timestamp: 'noon', fare_action: 'Enter', stop_id: 'N01' },
      { event_timestamp: '2026-11-22T08:00:00Z', fare_action: 'Enter' },
      { event_timestamp: '2026-11-22T08:00:00Z', fare_action: 'Enter', stop_id: 'N01', group_size: 'two' },
      42,
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual([
      '2:fare_action',
      '3:event_timestamp',
      '4:stop_id',
      '5:group_size',
      '6:row',
    ]);
  });
});
