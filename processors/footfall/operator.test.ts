import { describe, expect, it } from 'vitest';
import { cellOf, cellToUInt64 } from '../../shared/h3.js';
import { SensorRegistry } from '../../shared/sensors.js';
import type { Store } from '../../shared/store/types.js';
import type { CameraCount, TicketingEvent } from '../../schemas/records.js';
import { countOperator } from './processor.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0);

/** A registry that knows one station, at 55.70, 12.58. */
const store: Store = {
  kind: 'chdb',
  database: 'none',
  command: () => Promise.resolve(),
  query: <T>() =>
    Promise.resolve([
      {
        sensor_id: 'known',
        source: 'ticketing',
        lat: 55.7,
        lng: 12.58,
        site: '',
        owner: '',
        metadata: '{}',
        updated_at: '2026-11-22 08:00:00',
      },
    ] as T[]),
  queryRaw: () => Promise.reject(new Error('unused')),
  insert: () => Promise.resolve(),
  ping: () => Promise.resolve(true),
  close: () => Promise.resolve(),
};

describe('the footfall operator: prepareNow', () => {
  it('is prepare without a promise for a record that carries its location, and undefined when a sensor lookup is needed', async () => {
    const sensors = new SensorRegistry(store);
    const cam = countOperator('camera', sensors, 300_000);
    const c: CameraCount = {
      recordId: 'r',
      sensorId: 's',
      start: T0,
      end: T0 + 60_000,
      in: 2,
      out: 1,
      line: null,
      class: null,
      lat: 55.676,
      lng: 12.568,
      receivedAt: T0,
    };
    expect(cam.prepareNow!(c)).toEqual(await cam.prepare(c));
    expect(cam.prepareNow!(c)).toEqual({ kind: 'ok', value: { record: c, cell: cellToUInt64(cellOf(55.676, 12.568)) } });
    const t: TicketingEvent = {
      recordId: 't',
      stationId: 'known',
      kind: 'gate_exit',
      start: T0,
      end: T0,
      count: 4,
      mode: 'metro',
      cardHash: null,
      lat: null,
      lng: null,
      keyPeriod: null,
      receivedAt: T0,
    };
    const tick = countOperator('ticketing', sensors, 300_000);
    expect(tick.prepareNow!(t)).toBeUndefined();
    expect(await tick.prepare(t)).toMatchObject({
      kind: 'ok',
      value: { cell: cellToUInt64(cellOf(55.7, 12.58)), record: { in: 0, out: 4 } },
    });
    const own = { ...t, lat: 55.68, lng: 12.57 };
    expect(tick.prepareNow!(own)).toEqual(await tick.prepare(own));
  });
});
