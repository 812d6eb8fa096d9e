// The sensor registry (id, source, location, site, owner), stored in the `sensors` table and
// cached briefly in memory: ingest resolves record locations through it, processors fall back on
// it for records produced without a location.

import type { SensorInput } from '../schemas/inputs.js';
import type { Store } from './store/types.js';
import { cellOf, cellToUInt64 } from './h3.js';
import type { RawSource } from './topics.js';
import { clickhouseTime } from './time.js';

export interface Sensor {
  sensorId: string;
  source: RawSource;
  lat: number;
  lng: number;
  site: string;
  owner: string;
  metadata: Record<string, unknown>;
  updatedAt: number;
}

interface SensorRow {
  sensor_id: string;
  source: RawSource;
  lat: number;
  lng: number;
  site: string;
  owner: string;
  metadata: string;
  updated_ms: string;
}

const SELECT = `SELECT sensor_id, source, lat, lng, site, owner, metadata, toString(toUnixTimestamp64Milli(updated_at)) AS updated_ms
  FROM {db:Identifier}.sensors FINAL`;

function fromRow(r: SensorRow): Sensor {
  return {
    sensorId: r.sensor_id,
    source: r.source,
    lat: r.lat,
    lng: r.lng,
    site: r.site,
    owner: r.owner,
    metadata: JSON.parse(r.metadata || '{}') as Record<string, unknown>,
    updatedAt: Number(r.updated_ms),
  };
}

export class SensorRegistry {
  private readonly cache = new Map<string, { sensor: Sensor | null; until: number }>();

  constructor(
    private readonly store: Store,
    /** How long a looked-up sensor (or its absence) is trusted (ms). */
    private readonly ttlMs = 30_000,
  ) {}

  async put(s: Omit<Sensor, 'updatedAt'>): Promise<Sensor> {
    const sensor: Sensor = { ...s, updatedAt: Date.now() };
    await this.store.insert('sensors', [
      {
        sensor_id: sensor.sensorId,
        source: sensor.source,
        lat: sensor.lat,
        lng: sensor.lng,
        cell: cellToUInt64(cellOf(sensor.lat, sensor.lng)),
        site: sensor.site,
        owner: sensor.owner,
        metadata: JSON.stringify(sensor.metadata),
        updated_at: clickhouseTime(sensor.updatedAt),
      },
    ]);
    this.cache.set(sensor.sensorId, { sensor, until: Date.now() + this.ttlMs });
    return sensor;
  }

  /**
   * Registers `s` on behalf of `owner` (a vendor key's owner; null: an admin, who keeps the given
   * owner). Returns null, changing nothing, when the sensor belongs to another owner.
   */
  async putFor(owner: string | null, s: SensorInput): Promise<Sensor | null> {
    const existing = await this.get(s.sensorId);
    if (owner !== null && existing !== null && existing.owner !== owner) return null;
    return this.put({
      sensorId: s.sensorId,
      source: s.source,
      lat: s.lat,
      lng: s.lng,
      site: s.site ?? '',
      owner: owner ?? s.owner ?? '',
      metadata: s.metadata ?? {},
    });
  }

  async get(sensorId: string): Promise<Sensor | null> {
    const hit = this.cache.get(sensorId);
    if (hit !== undefined && hit.until > Date.now()) return hit.sensor;
    const rows = await this.store.query<SensorRow>(`${SELECT} WHERE sensor_id = {id:String}`, { id: sensorId });
    const sensor = rows[0] === undefined ? null : fromRow(rows[0]);
    this.cache.set(sensorId, { sensor, until: Date.now() + this.ttlMs });
    return sensor;
  }

  async list(filter: { source?: RawSource; owner?: string; limit: number; offset: number }): Promise<Sensor[]> {
    const rows = await this.store.query<SensorRow>(
      `${SELECT} WHERE ({source:String} = '' OR source = {source:String}) AND ({anyOwner:Bool} OR owner = {owner:String})
       ORDER BY sensor_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      {
        source: filter.source ?? '',
        anyOwner: filter.owner === undefined,
        owner: filter.owner ?? '',
        limit: filter.limit,
        offset: filter.offset,
      },
    );
    return rows.map(fromRow);
  }
}
