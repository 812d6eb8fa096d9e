// The sensor registry over HTTP: PUT /v1/sensors/{sensorId} creates or replaces a sensor
// (source, location, site, owner, metadata); GET /v1/sensors lists them; GET /v1/sensors/{id} shows one.

import { Type } from '@sinclair/typebox';
import { authorize, type KeyStore } from '../../shared/access.js';
import type { App } from '../../shared/http.js';
import { problem, sendProblem } from '../../shared/http.js';
import type { Sensor, SensorRegistry } from '../../shared/sensors.js';
import { RAW_SOURCES } from '../../shared/topics.js';
import { cellOf } from '../../shared/h3.js';

const SensorId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:/-]+$' });
const Source = Type.Union(RAW_SOURCES.map((s) => Type.Literal(s)));

const SensorBody = Type.Object(
  {
    source: Source,
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    site: Type.Optional(Type.String({ maxLength: 200 })),
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

function view(s: Sensor): Record<string, unknown> {
  return { ...s, cell: cellOf(s.lat, s.lng), updatedAt: new Date(s.updatedAt).toISOString() };
}

export interface SensorRoutesOptions {
  sensors: SensorRegistry;
  keys: KeyStore;
}

export function sensorRoutes(app: App, opts: SensorRoutesOptions): void {
  // Vendors register and see their own sensors (owner = their key's owner); admins any.
  const vendorOrAdmin = authorize(opts.keys, { roles: ['vendor'] });
  app.put(
    '/v1/sensors/:sensorId',
    {
      preHandler: authorize(opts.keys, { roles: ['vendor'], source: (req) => (req.body as { source?: string } | undefined)?.source }),
      schema: { params: Type.Object({ sensorId: SensorId }), body: SensorBody },
    },
    async (req, reply) => {
      const b = req.body;
      const vendor = req.principal?.role === 'vendor' ? req.principal.owner : null;
      const sensor = await opts.sensors.putFor(vendor, { sensorId: req.params.sensorId, ...b });
      if (sensor === null) {
        return sendProblem(reply, problem(403, 'sensor_of_another_owner', `sensor ${req.params.sensorId} belongs to another owner`));
      }
      return view(sensor);
    },
  );

  app.get(
    '/v1/sensors',
    {
      preHandler: vendorOrAdmin,
      schema: {
        querystring: Type.Object(
          {
            source: Type.Optional(Source),
            limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
            offset: Type.Integer({ minimum: 0, default: 0 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const { source, limit, offset } = req.query;
      const owner = req.principal?.role === 'vendor' ? req.principal.owner : undefined;
      const data = await opts.sensors.list({
        ...(source === undefined ? {} : { source }),
        ...(owner === undefined ? {} : { owner }),
        limit,
        offset,
      });
      return { query: { source: source ?? null, limit, offset }, data: data.map(view) };
    },
  );

  app.get(
    '/v1/sensors/:sensorId',
    { preHandler: vendorOrAdmin, schema: { params: Type.Object({ sensorId: SensorId }) } },
    async (req, reply) => {
      const s = await opts.sensors.get(req.params.sensorId);
      if (s === null || (req.principal?.role === 'vendor' && s.owner !== req.principal.owner))
        return sendProblem(reply, problem(404, 'unknown_sensor', `no sensor ${req.params.sensorId}`));
      return view(s);
    },
  );
}
