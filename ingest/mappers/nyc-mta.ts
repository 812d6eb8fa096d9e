// nyc-mta-turnstile: the MTA turnstile audit file (C/A, UNIT, SCP, …, DATE, TIME in America/New_York,
// cumulative ENTRIES/EXITS) → gate_entry/gate_exit TicketingInput per turnstile and interval, with
// stations located through the booth→station lookup and GTFS stations (booth coordinates as fallback).

import { Type, type Static } from '@sinclair/typebox';
import type { SensorInput } from '../../schemas/inputs.js';
import { Bad, asRow, count, decimal, text, type Row } from './fields.js';
import { checkOptions, loadTable, optionsError, sideTable, Unlocated, Zone, ID_PREFIX } from './options.js';
import { SensorEmitter } from './sensors.js';
import { CounterLimitOptions, counterLimits, TurnstileCore } from './ticketing-turnstile.js';
import { reject, type MapOutput, type Mapper } from './types.js';

export const NycMtaOptions = Type.Object(
  {
    stationLookup: Type.Optional(sideTable('remote_booth_station_lookup.csv: booth, remote → station_id')),
    stations: Type.Optional(sideTable('mta_gtfs_stations.csv: Station ID → GTFS Latitude/Longitude')),
    booths: Type.Optional(sideTable('booths_latlon.csv: booth → lat/lon (fallback)')),
    zone: Type.Optional(Zone),
    unlocated: Type.Optional(Unlocated),
    stationPrefix: Type.Optional(Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix of station ids (default mta-)' })),
    ...CounterLimitOptions,
  },
  { additionalProperties: false },
);
export type NycMtaOptions = Static<typeof NycMtaOptions>;

/** The three lookup files by their names in /work/shared/data/real/nyc-mta-turnstile-partial-week-2017. */
export function nycMtaSideFiles(dir: string): Pick<NycMtaOptions, 'stationLookup' | 'stations' | 'booths'> {
  return {
    stationLookup: `${dir}/remote_booth_station_lookup.csv`,
    stations: `${dir}/mta_gtfs_stations.csv`,
    booths: `${dir}/booths_latlon.csv`,
  };
}

interface Place {
  stationId: string;
  lat?: number;
  lng?: number;
}

function coord(row: Row, latKey: string, lngKey: string): { lat: number; lng: number } | null {
  const lat = decimal(row[latKey]);
  const lng = decimal(row[lngKey]);
  if (typeof lat !== 'number' || typeof lng !== 'number' || Math.abs(lat) > 90 || Math.abs(lng) > 180) return null;
  return { lat, lng };
}

function index(rows: Row[], key: (r: Row) => string | undefined): Map<string, Row> {
  const m = new Map<string, Row>();
  for (const r of rows) {
    const k = key(r);
    // Station ID repeats in the GTFS list for a few stations served by two lines; the first row wins.
    if (k !== undefined && !m.has(k)) m.set(k, r);
  }
  return m;
}

export function createNycMtaTurnstile(opts: NycMtaOptions = {}): Mapper {
  const name = 'nyc-mta-turnstile';
  const o = checkOptions(name, NycMtaOptions, opts);
  const prefix = o.stationPrefix ?? 'mta-';
  const unlocated = o.unlocated ?? 'reject';
  if (unlocated === 'reject' && o.booths === undefined && (o.stationLookup === undefined || o.stations === undefined))
    throw optionsError(name, [
      { field: 'stationLookup', reason: "stationLookup and stations (or booths) are required unless unlocated is 'keep'" },
    ]);
  const lookup = index(o.stationLookup === undefined ? [] : loadTable(name, 'stationLookup', o.stationLookup), (r) => {
    const b = text(r.booth);
    const u = text(r.remote);
    return b === undefined || u === undefined ? undefined : `${b}|${u}`;
  });
  const stations = index(o.stations === undefined ? [] : loadTable(name, 'stations', o.stations), (r) => text(r['Station ID']));
  const booths = index(o.booths === undefined ? [] : loadTable(name, 'booths', o.booths), (r) => text(r.booth));

  const known = new Map<string, SensorInput>();
  const places = new Map<string, Place | null>();

  function placeOf(booth: string, unit: string): Place | null {
    const key = `${booth}|${unit}`;
    const cached = places.get(key);
    if (cached !== undefined) return cached;
    let place: Place | null = null;
    const stationIdText = text(lookup.get(key)?.station_id);
    const station = stationIdText === undefined ? undefined : stations.get(stationIdText);
    const sc = station === undefined ? null : coord(station, 'GTFS Latitude', 'GTFS Longitude');
    if (station !== undefined && sc !== null) {
      const stationId = `${prefix}${stationIdText}`;
      place = { stationId, ...sc };
      const metadata: Record<string, unknown> = { mtaStationId: stationIdText };
      for (const [k, f] of [
        ['complexId', 'Complex ID'],
        ['gtfsStopId', 'GTFS Stop ID'],
        ['line', 'Line'],
        ['routes', 'Daytime Routes'],
        ['borough', 'Borough'],
      ] as const) {
        const v = text(station[f]);
        if (v !== undefined) metadata[k] = v;
      }
      known.set(stationId, {
        sensorId: stationId,
        source: 'ticketing',
        ...sc,
        site: text(station['Stop Name']) ?? stationId,
        owner: 'MTA',
        metadata,
      });
    } else {
      const b = booths.get(booth);
      const bc = b === undefined ? null : coord(b, 'lat', 'lon');
      if (b !== undefined && bc !== null) {
        const stationId = `${prefix}booth-${booth}`;
        place = { stationId, ...bc };
        known.set(stationId, {
          sensorId: stationId,
          source: 'ticketing',
          ...bc,
          site: text(b.station_name) ?? text(b.station) ?? booth,
          owner: 'MTA',
          metadata: { booth, located: 'booth' },
        });
      } else if (unlocated === 'keep') place = { stationId: `${prefix}unit-${unit}` };
    }
    places.set(key, place);
    return place;
  }

  const sensors = new SensorEmitter(known);
  const core = new TurnstileCore(counterLimits(o), o.zone ?? 'America/New_York');

  function push(value: unknown, line: number): MapOutput[] {
    const row = asRow(value);
    if (row === null) return [reject(line, 'row', 'must be an object of named columns')];
    const booth = text(row['C/A']);
    const unit = text(row.UNIT);
    const scp = text(row.SCP);
    if (booth === undefined) return [reject(line, 'C/A', 'is missing')];
    if (unit === undefined) return [reject(line, 'UNIT', 'is missing')];
    if (scp === undefined) return [reject(line, 'SCP', 'is missing')];
    if (!/^[A-Za-z0-9._-]+$/.test(`${booth}${unit}${scp}`))
      return [reject(line, 'SCP', 'C/A, UNIT and SCP must be letters, digits, . _ -')];
    const d = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text(row.DATE) ?? '');
    if (d === null) return [reject(line, 'DATE', `must be MM/DD/YYYY, got ${JSON.stringify(row.DATE ?? null)}`)];
    const t = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text(row.TIME) ?? '');
    if (t === null) return [reject(line, 'TIME', `must be HH:MM:SS, got ${JSON.stringify(row.TIME ?? null)}`)];
    const entries = count(row.ENTRIES, Number.MAX_SAFE_INTEGER);
    const exits = count(row.EXITS, Number.MAX_SAFE_INTEGER);
    const bad: MapOutput[] = [];
    if (entries instanceof Bad) bad.push(reject(line, 'ENTRIES', entries.reason));
    if (exits instanceof Bad) bad.push(reject(line, 'EXITS', exits.reason));
    const place = placeOf(booth, unit);
    if (place === null)
      return [
        ...bad,
        reject(line, 'C/A', `no coordinates for control area ${booth} / unit ${unit} (not in stationLookup + stations, nor in booths)`),
      ];
    const local = `${d[3]}-${d[1]}-${d[2]}T${t[1]!.padStart(2, '0')}:${t[2]}:${t[3]}`;
    return [
      ...bad,
      ...core.push(
        {
          line,
          device: `${booth}/${unit}/${scp}`,
          stationId: place.stationId,
          time: local,
          entries: entries instanceof Bad ? undefined : entries,
          exits: exits instanceof Bad ? undefined : exits,
          mode: 'subway',
          lat: place.lat,
          lng: place.lng,
        },
        { time: 'TIME', entries: 'ENTRIES', exits: 'EXITS' },
        (id) => sensors.first(id),
      ),
    ];
  }

  return {
    name,
    source: 'ticketing',
    description:
      'NYC MTA turnstile audit file (cumulative ENTRIES/EXITS every ~4 h) → gate_entry/gate_exit per turnstile interval; stations with coordinates',
    push,
    end: () => [],
  };
}
