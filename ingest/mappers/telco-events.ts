// telco-events: device events at network cells (device, cell, time, the cell site's location,
// optional home country / segment) → TelcoInput. The location comes from the row or from a cell
// list side file; home countries are ISO alpha-2, segments Passage's four names or common aliases.

import { Type, type Static } from '@sinclair/typebox';
import type { TELCO_SEGMENTS } from '../../schemas/inputs.js';
import { type TelcoInput } from '../../schemas/inputs.js';
import { Bad, boundedText, Columns, asRow, edgeId, location, text, type ColumnSpec, type Row } from './fields.js';
import { readTime } from './local-time.js';
import { checkOptions, columnsOption, loadTable, sideTable, Zone } from './options.js';
import { reject, telcoRecord, type MapOutput, type Mapper } from './types.js';

const KEYS = ['id', 'device', 'cell', 'time', 'lat', 'lng', 'homeCountry', 'segment'] as const;
type Key = (typeof KEYS)[number];

export const DEFAULT_TELCO_COLUMNS: Record<Key, ColumnSpec> = {
  id: ['id', 'eventId', 'event_id'],
  device: ['deviceId', 'device', 'device_id', 'imsi', 'msisdn', 'subscriber', 'subscriber_id'],
  cell: ['networkCellId', 'cellId', 'cell', 'cell_id', 'cgi', 'ecgi'],
  time: ['seenAt', 'time', 'timestamp', 'event_time', 'eventTime'],
  lat: ['lat', 'latitude', 'cell_lat', 'site_lat'],
  lng: ['lng', 'lon', 'longitude', 'cell_lon', 'cell_lng', 'site_lon'],
  homeCountry: ['homeCountry', 'home_country', 'country'],
  segment: ['segment'],
};

type Segment = (typeof TELCO_SEGMENTS)[number];

/** Segment names operators use → Passage's four; an unrecognised segment is rejected, not guessed. */
export const SEGMENT_ALIASES: Record<string, Segment> = {
  resident: 'resident',
  residents: 'resident',
  local: 'resident',
  domestic_visitor: 'domestic_visitor',
  domestic: 'domestic_visitor',
  national_visitor: 'domestic_visitor',
  international_visitor: 'international_visitor',
  international: 'international_visitor',
  foreign: 'international_visitor',
  roamer: 'international_visitor',
  inbound_roamer: 'international_visitor',
  unknown: 'unknown',
};

export const TelcoEventsOptions = Type.Object(
  {
    columns: Type.Optional(columnsOption(KEYS)),
    zone: Type.Optional(Zone),
    cells: Type.Optional(
      sideTable('Cell list: cell id and the cell site location (columns cellId/cell_id, lat/latitude, lng/lon/longitude)'),
    ),
    operatorCountry: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z]{2}$',
        description: 'Country of the network; a device from elsewhere without a segment becomes international_visitor',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TelcoEventsOptions = Static<typeof TelcoEventsOptions>;

export function createTelcoEvents(opts: TelcoEventsOptions = {}): Mapper {
  const name = 'telco-events';
  const o = checkOptions(name, TelcoEventsOptions, opts);
  const cols = new Columns<Key>({ ...DEFAULT_TELCO_COLUMNS, ...(o.columns as Partial<Record<Key, ColumnSpec>>) });
  const operator = o.operatorCountry?.toUpperCase();
  const cells = new Map<string, { lat: number; lng: number }>();
  if (o.cells !== undefined) {
    const cellCols = new Columns<'cell' | 'lat' | 'lng'>({
      cell: DEFAULT_TELCO_COLUMNS.cell,
      lat: DEFAULT_TELCO_COLUMNS.lat,
      lng: DEFAULT_TELCO_COLUMNS.lng,
    });
    for (const r of loadTable(name, 'cells', o.cells)) {
      const id = text(cellCols.get(r, 'cell').value);
      const loc = location(cellCols.get(r, 'lat').value, cellCols.get(r, 'lng').value);
      if (id !== undefined && loc !== undefined && !(loc instanceof Bad) && !cells.has(id)) cells.set(id, loc);
    }
  }

  function push(value: unknown, line: number): MapOutput[] {
    const row: Row | null = asRow(value);
    if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
    const device = cols.get(row, 'device');
    const deviceId = text(device.value);
    if (deviceId === undefined) return [reject(line, device.name, 'is missing')];
    if (deviceId.length > 256) return [reject(line, device.name, 'must be at most 256 characters')];
    const cell = cols.get(row, 'cell');
    const cellText = text(cell.value);
    if (cellText === undefined) return [reject(line, cell.name, 'is missing')];
    const cellId = edgeId(cellText);
    if (cellId instanceof Bad) return [reject(line, cell.name, cellId.reason)];
    const time = cols.get(row, 'time');
    const t = readTime(text(time.value), { zone: o.zone });
    if (!t.ok) return [reject(line, time.name, t.reason)];
    const lat = cols.get(row, 'lat');
    let loc = location(lat.value, cols.get(row, 'lng').value);
    if (loc instanceof Bad) return [reject(line, lat.name, loc.reason)];
    loc ??= cells.get(cellText);
    if (loc === undefined) return [reject(line, lat.name, `no location for cell ${cellText} (neither in the row nor in cells)`)];

    const idCell = cols.get(row, 'id');
    const id = boundedText(idCell.value, 200);
    if (id instanceof Bad) return [reject(line, idCell.name, id.reason)];
    const record: TelcoInput = {
      ...(id === undefined ? {} : { id }),
      deviceId,
      networkCellId: cellId,
      seenAt: t.iso,
      lat: loc.lat,
      lng: loc.lng,
    };
    const hc = cols.get(row, 'homeCountry');
    const country = text(hc.value)?.toUpperCase();
    if (country !== undefined) {
      if (!/^[A-Z]{2}$/.test(country))
        return [reject(line, hc.name, `must be an ISO 3166-1 alpha-2 code, got ${JSON.stringify(hc.value)}`)];
      record.homeCountry = country;
    }
    const sc = cols.get(row, 'segment');
    const segText = text(sc.value);
    if (segText !== undefined) {
      const seg = SEGMENT_ALIASES[segText.toLowerCase().replace(/[\s-]+/g, '_')];
      if (seg === undefined)
        return [reject(line, sc.name, `unknown segment ${JSON.stringify(segText)} (known: ${Object.keys(SEGMENT_ALIASES).join(', ')})`)];
      record.segment = seg;
    } else if (operator !== undefined && country !== undefined && country !== operator) {
      record.segment = 'international_visitor';
    }
    return [telcoRecord(record)];
  }

  return {
    name,
    source: 'telco',
    description: 'Telco device events at network cells (device, cell, time, cell location, home country, segment) → TelcoInput',
    push,
    end: () => [],
  };
}
