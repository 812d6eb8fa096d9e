// camera-export: interval exports with offsets or local times, the Copenhagen DST gap and repeated
// hour, column names and class aliases, and bad rows becoming rejects that name the column.

import { describe, expect, it } from 'vitest';
import { PassageError } from '../../shared/errors.js';
import { createCameraExport } from './camera-export.js';
import { recordsOf, rejectsOf, runRows, runText, schemaErrors, thrown } from './testing.js';

describe('camera-export', () => {
  it('maps CSV rows with ISO offsets, line and class (aliases), case-insensitive headers', async () => {
    const csv = [
      'Sensor,Start,End,Line,In,Out,Class',
      'cam-1,2026-11-22T08:00:00+01:00,2026-11-22T08:15:00+01:00,north door,42,17,person',
      'cam-1,2026-11-22T08:00:00+01:00,2026-11-22T08:15:00+01:00,north door,3,1,Bike',
    ].join('\n');
    const out = await runText(createCameraExport(), csv, 'csv');
    expect(schemaErrors(out)).toEqual([]);
    expect(recordsOf(out, 'camera')).toEqual([
      {
        sensorId: 'cam-1',
        start: '2026-11-22T08:00:00+01:00',
        end: '2026-11-22T08:15:00+01:00',
        in: 42,
        out: 17,
        line: 'north door',
        class: 'pedestrian',
      },
      {
        sensorId: 'cam-1',
        start: '2026-11-22T08:00:00+01:00',
        end: '2026-11-22T08:15:00+01:00',
        in: 3,
        out: 1,
        line: 'north door',
        class: 'cyclist',
      },
    ]);
  });

  it('maps JSON rows with numbers, configured column names, a vendor id and a location', () => {
    const m = createCameraExport({
      columns: { sensor: 'device_serial', start: 'from_ts', end: 'to_ts', in: 'fw', out: 'bw' },
      sensorPrefix: 'acme-',
    });
    const out = runRows(m, [
      { device_serial: 'X1', from_ts: 1_700_000_000_000, to_ts: 1_700_000_060_000, fw: 5, bw: 0, id: 'r-1', lat: 55.67, lng: 12.57 },
    ]);
    expect(recordsOf(out, 'camera')).toEqual([
      { id: 'r-1', sensorId: 'acme-X1', start: '2023-11-14T22:13:20Z', end: '2023-11-14T22:14:20Z', in: 5, out: 0, lat: 55.67, lng: 12.57 },
    ]);
  });

  it('local times + zone across the Copenhagen autumn repeat: quarter hours stay 15 minutes long, in order (intervalMs)', () => {
    const m = createCameraExport({ zone: 'Europe/Copenhagen', intervalMs: 15 * 60_000 });
    const starts = ['01:45', '02:00', '02:15', '02:30', '02:45', '02:00', '02:15', '02:30', '02:45', '03:00'];
    const out = runRows(
      m,
      starts.map((s) => ({ sensor: 'c', start: `2026-10-25 ${s}`, in: 1, out: 0 })),
    );
    const recs = recordsOf(out, 'camera');
    expect(rejectsOf(out)).toEqual([]);
    // Independently: the first row starts at 01:45 CEST = 23:45Z the day before; then every 15 min.
    const first = Date.UTC(2026, 9, 24, 23, 45);
    expect(recs.map((r) => Date.parse(r.start as string))).toEqual(starts.map((_, i) => first + i * 15 * 60_000));
    expect(recs.map((r) => Date.parse(r.end as string) - Date.parse(r.start as string))).toEqual(starts.map(() => 15 * 60_000));
    expect(recs[1]!.start).toBe('2026-10-25T02:00:00+02:00');
    expect(recs[5]!.start).toBe('2026-10-25T02:00:00+01:00');
  });

  it('local times in the spring gap: a start that never happened is rejected; an end inside it is the jump instant', () => {
    const m = createCameraExport({ zone: 'Europe/Copenhagen' });
    const out = runRows(m, [
      { sensor: 'c', start: '2026-03-29 01:45', end: '2026-03-29 02:00', in: 4, out: 2 },
      { sensor: 'c', start: '2026-03-29 02:15', end: '2026-03-29 02:30', in: 4, out: 2 },
      { sensor: 'c', start: '2026-03-29 03:00', end: '2026-03-29 03:15', in: 4, out: 2 },
    ]);
    expect(recordsOf(out, 'camera').map((r) => [r.start, r.end])).toEqual([
      ['2026-03-29T01:45:00+01:00', '2026-03-29T03:00:00+02:00'],
      ['2026-03-29T03:00:00+02:00', '2026-03-29T03:15:00+02:00'],
    ]);
    expect(rejectsOf(out)).toEqual([
      { kind: 'reject', line: 3, field: 'start', reason: expect.stringContaining('does not exist') as string },
    ]);
  });

  it('bad rows are rejects naming line and column; non-objects too; nothing throws', () => {
    const m = createCameraExport();
    const ok = { sensor: 's', start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:15:00Z', in: 1, out: 1 };
    const out = runRows(m, [
      { ...ok, sensor: '' },
      { ...ok, sensor: 'has space' },
      { ...ok, in: -1 },
      { ...ok, out: '2.5' },
      { ...ok, end: '2025-12-31T23:00:00Z' },
      { ...ok, class: 'unicorn' },
      { ...ok, start: '2026-01-01 00:00' },
      { ...ok, lat: 91, lng: 0 },
      { ...ok, lat: 10 },
      { ...ok, out: undefined },
      null,
      [1, 2],
      'text',
      ok,
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual([
      '2:sensor',
      '3:sensor',
      '4:in',
      '5:out',
      '6:end',
      '7:class',
      '8:start',
      '9:lat',
      '10:lat',
      '11:out',
      '12:row',
      '13:row',
      '14:row',
    ]);
    expect(recordsOf(out, 'camera')).toHaveLength(1);
  });

  it('options are checked up front: unknown keys and zones throw invalid_mapper_options', () => {
    expect(() => createCameraExport({ zone: 'Europe/Atlantis' })).toThrow(PassageError);
    expect(() => createCameraExport({ colums: {} } as never)).toThrow(/invalid options for mapper camera-export/);
    expect(thrown(() => createCameraExport({ sensorPrefix: 'my cams/' }))).toMatchObject({ fields: [{ field: 'sensorPrefix' }] });
    expect(thrown(() => createCameraExport({ intervalMs: 5 }))).toMatchObject({
      code: 'invalid_mapper_options',
      status: 400,
      fields: [{ field: 'intervalMs' }],
    });
  });
});
