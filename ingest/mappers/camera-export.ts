// camera-export: people-counting camera interval exports (CSV or JSON: sensor, interval start/end,
// line, in, out, class) → CameraInput. Times with an offset are taken as written; local times need
// the zone option (a repeated hour is resolved by arrival order per sensor, line and class).

import { Type, type Static } from '@sinclair/typebox';
import { CAMERA_CLASSES } from '../../schemas/records.js';
import type { CameraInput } from '../../schemas/inputs.js';
import { Bad, boundedText, Columns, asRow, count, edgeId, location, text, type ColumnSpec, type Row } from './fields.js';
import { firstAfter, isoInZone, isoWithOffset, OccurrenceOrder, readTime } from './local-time.js';
import { checkOptions, columnsOption, Zone, ID_PREFIX } from './options.js';
import { cameraRecord, reject, type MapOutput, type Mapper } from './types.js';

const KEYS = ['id', 'sensor', 'start', 'end', 'line', 'in', 'out', 'class', 'lat', 'lng'] as const;
type Key = (typeof KEYS)[number];

export const DEFAULT_CAMERA_COLUMNS: Record<Key, ColumnSpec> = {
  id: ['id', 'recordId', 'record_id'],
  sensor: ['sensorId', 'sensor', 'sensor_id', 'camera', 'cameraId', 'device'],
  start: ['start', 'intervalStart', 'interval_start', 'from', 'startTime', 'start_time'],
  end: ['end', 'intervalEnd', 'interval_end', 'to', 'endTime', 'end_time'],
  line: ['line', 'lineId', 'line_id', 'lineName', 'counting_line'],
  in: ['in', 'countIn', 'count_in', 'entries', 'fw'],
  out: ['out', 'countOut', 'count_out', 'exits', 'bw'],
  class: ['class', 'objectClass', 'object_class', 'category', 'type'],
  lat: ['lat', 'latitude'],
  lng: ['lng', 'lon', 'longitude'],
};

type CameraClass = (typeof CAMERA_CLASSES)[number];

/** Vendor class names → Passage's four classes; anything else is rejected rather than guessed. */
export const CAMERA_CLASS_ALIASES: Record<string, CameraClass> = {
  pedestrian: 'pedestrian',
  pedestrians: 'pedestrian',
  person: 'pedestrian',
  persons: 'pedestrian',
  people: 'pedestrian',
  human: 'pedestrian',
  adult: 'pedestrian',
  child: 'pedestrian',
  cyclist: 'cyclist',
  cyclists: 'cyclist',
  bicycle: 'cyclist',
  bike: 'cyclist',
  vehicle: 'vehicle',
  vehicles: 'vehicle',
  car: 'vehicle',
  bus: 'vehicle',
  truck: 'vehicle',
  van: 'vehicle',
  motorbike: 'vehicle',
  motorcycle: 'vehicle',
  unknown: 'unknown',
  other: 'unknown',
};

export const CameraExportOptions = Type.Object(
  {
    columns: Type.Optional(columnsOption(KEYS)),
    zone: Type.Optional(Zone),
    intervalMs: Type.Optional(
      Type.Integer({ minimum: 1000, description: 'Interval length when the export has no end column (end = start + intervalMs)' }),
    ),
    sensorPrefix: Type.Optional(
      Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix added to sensor ids (default none)' }),
    ),
    defaultClass: Type.Optional(
      Type.Union(
        CAMERA_CLASSES.map((c) => Type.Literal(c)),
        { description: 'Class when the row has none' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CameraExportOptions = Static<typeof CameraExportOptions>;

export function createCameraExport(opts: CameraExportOptions = {}): Mapper {
  const o = checkOptions('camera-export', CameraExportOptions, opts);
  const cols = new Columns<Key>({ ...DEFAULT_CAMERA_COLUMNS, ...(o.columns as Partial<Record<Key, ColumnSpec>>) });
  const order = new OccurrenceOrder();

  function push(value: unknown, line: number): MapOutput[] {
    const row: Row | null = asRow(value);
    if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
    const sensor = cols.get(row, 'sensor');
    const sensorText = text(sensor.value);
    if (sensorText === undefined) return [reject(line, sensor.name, 'is missing')];
    const sensorId = edgeId((o.sensorPrefix ?? '') + sensorText);
    if (sensorId instanceof Bad) return [reject(line, sensor.name, sensorId.reason)];

    const lineCell = cols.get(row, 'line');
    const lineName = text(lineCell.value);
    if (lineName !== undefined && lineName.length > 64) return [reject(line, lineCell.name, 'must be at most 64 characters')];
    const classCell = cols.get(row, 'class');
    const classText = text(classCell.value);
    const cls = classText === undefined ? o.defaultClass : CAMERA_CLASS_ALIASES[classText.toLowerCase()];
    if (classText !== undefined && cls === undefined)
      return [
        reject(line, classCell.name, `unknown class ${JSON.stringify(classText)} (known: ${Object.keys(CAMERA_CLASS_ALIASES).join(', ')})`),
      ];

    // A repeated local hour is told apart by arrival order within one series (sensor, line, class).
    const series = `${sensorId}|${lineName ?? ''}|${cls ?? ''}`;
    const startCell = cols.get(row, 'start');
    const start = readTime(text(startCell.value), { zone: o.zone, gap: 'reject', choose: order.chooser(series) });
    if (!start.ok) return [reject(line, startCell.name, start.reason)];
    const endCell = cols.get(row, 'end');
    let endIso: string;
    let endMs: number;
    if (text(endCell.value) === undefined && o.intervalMs !== undefined) {
      endMs = start.ms + o.intervalMs;
      endIso = (o.zone === undefined ? null : isoInZone(endMs, o.zone)) ?? isoWithOffset(endMs, start.offsetMinutes);
    } else {
      // An end inside a DST gap is the instant the clock jumped (shifted forward); a repeated end
      // takes its first occurrence after the start.
      const end = readTime(text(endCell.value), { zone: o.zone, choose: firstAfter(start.ms) });
      if (!end.ok) return [reject(line, endCell.name, end.reason)];
      endIso = end.iso;
      endMs = end.ms;
    }
    if (endMs <= start.ms) return [reject(line, endCell.name, 'must be after the start')];

    const inCell = cols.get(row, 'in');
    const outCell = cols.get(row, 'out');
    const nIn = count(inCell.value);
    const nOut = count(outCell.value);
    if (nIn === undefined) return [reject(line, inCell.name, 'is missing')];
    if (nIn instanceof Bad) return [reject(line, inCell.name, nIn.reason)];
    if (nOut === undefined) return [reject(line, outCell.name, 'is missing')];
    if (nOut instanceof Bad) return [reject(line, outCell.name, nOut.reason)];
    const latCell = cols.get(row, 'lat');
    const loc = location(latCell.value, cols.get(row, 'lng').value);
    if (loc instanceof Bad) return [reject(line, latCell.name, loc.reason)];

    const idCell = cols.get(row, 'id');
    const id = boundedText(idCell.value, 200);
    if (id instanceof Bad) return [reject(line, idCell.name, id.reason)];
    const record: CameraInput = {
      ...(id === undefined ? {} : { id }),
      sensorId,
      start: start.iso,
      end: endIso,
      in: nIn,
      out: nOut,
    };
    if (lineName !== undefined) record.line = lineName;
    if (cls !== undefined) record.class = cls;
    if (loc !== undefined) Object.assign(record, loc);
    return [cameraRecord(record)];
  }

  return {
    name: 'camera-export',
    source: 'camera',
    description: 'People-counting camera interval exports (sensor, start, end, line, in, out, class) → CameraInput',
    push,
    end: () => [],
  };
}
