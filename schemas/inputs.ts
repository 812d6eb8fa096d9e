// The plain record shapes Passage accepts at its edge, one per source (HTTP push, backfill CLI,
// simulators): what vendors send after their own format has been mapped (ingest/mappers). Raw
// identifiers (deviceId, cardId) are allowed here and only here: ingest pseudonymises them before
// anything is produced. TypeBox schemas give both validation and the TypeScript types.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { RawSource } from '../shared/topics.js';
import { CAMERA_CLASSES, DEFAULT_MAX_COUNT } from './records.js';

/** ISO-8601 with an offset (2026-11-22T08:00:00+01:00) or epoch milliseconds. */
export const Instant = Type.Union([Type.String({ maxLength: 64 }), Type.Integer()], {
  description: 'ISO-8601 with offset (2026-11-22T08:00:00+01:00) or epoch milliseconds',
});
const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:/-]+$' });
const VendorId = Type.Optional(
  Type.String({ minLength: 1, maxLength: 200, description: "The vendor's own record id; makes retries harmless." }),
);
const Lat = Type.Number({ minimum: -90, maximum: 90 });
const Lng = Type.Number({ minimum: -180, maximum: 180 });
const RawIdentifier = Type.String({ minLength: 1, maxLength: 256, description: 'Raw identifier; pseudonymised on receipt, never stored.' });

export const CameraInput = Type.Object(
  {
    id: VendorId,
    sensorId: Id,
    start: Instant,
    end: Instant,
    in: Type.Integer({ minimum: 0, maximum: DEFAULT_MAX_COUNT }),
    out: Type.Integer({ minimum: 0, maximum: DEFAULT_MAX_COUNT }),
    line: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    class: Type.Optional(Type.Union(CAMERA_CLASSES.map((c) => Type.Literal(c)))),
    lat: Type.Optional(Lat),
    lng: Type.Optional(Lng),
  },
  { additionalProperties: false },
);
export type CameraInput = Static<typeof CameraInput>;

export const WifiInput = Type.Object(
  {
    id: VendorId,
    sensorId: Id,
    deviceId: RawIdentifier,
    seenAt: Instant,
    rssi: Type.Optional(Type.Integer({ minimum: -120, maximum: 0 })),
    lat: Type.Optional(Lat),
    lng: Type.Optional(Lng),
  },
  { additionalProperties: false },
);
export type WifiInput = Static<typeof WifiInput>;

export const TELCO_SEGMENTS = ['resident', 'domestic_visitor', 'international_visitor', 'unknown'] as const;

export const TelcoInput = Type.Object(
  {
    id: VendorId,
    deviceId: RawIdentifier,
    networkCellId: Id,
    seenAt: Instant,
    lat: Lat,
    lng: Lng,
    homeCountry: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })),
    segment: Type.Optional(Type.Union(TELCO_SEGMENTS.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);
export type TelcoInput = Static<typeof TelcoInput>;

export const TICKETING_KINDS = ['tap_in', 'tap_out', 'gate_entry', 'gate_exit'] as const;

export const TicketingInput = Type.Object(
  {
    id: VendorId,
    stationId: Id,
    kind: Type.Union(TICKETING_KINDS.map((k) => Type.Literal(k))),
    start: Instant,
    end: Type.Optional(Instant),
    count: Type.Optional(
      Type.Integer({ minimum: 0, maximum: DEFAULT_MAX_COUNT, description: '1 for a single tap (default); passages for gate counts.' }),
    ),
    mode: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    cardId: Type.Optional(RawIdentifier),
    lat: Type.Optional(Lat),
    lng: Type.Optional(Lng),
  },
  { additionalProperties: false },
);
export type TicketingInput = Static<typeof TicketingInput>;

export const INPUT_SCHEMAS: Record<RawSource, TSchema> = {
  camera: CameraInput,
  wifi: WifiInput,
  telco: TelcoInput,
  ticketing: TicketingInput,
};

/** A sensor a mapper found in a dataset, to register before its records (PUT /v1/sensors/{id}). */
export interface SensorInput {
  sensorId: string;
  source: RawSource;
  lat: number;
  lng: number;
  site?: string;
  owner?: string;
  metadata?: Record<string, unknown>;
}
