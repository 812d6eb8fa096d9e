// Wi-Fi edge adapter: a device seen by a sensor {sensorId, deviceId, seenAt, rssi?} becomes a
// WifiSighting on pm.raw.wifi.v1 with the MAC replaced by its keyed hash, keyed by that hash (one
// device's sightings stay in one partition, in order, for its visits and dwell).

import { WifiInput } from '../../schemas/inputs.js';
import { checkWifiSighting, type WifiSighting } from '../../schemas/records.js';
import { instants, recordId, sensorLocation, type SourceAdapter } from '../adapter.js';

export const wifiAdapter: SourceAdapter<WifiInput, WifiSighting> = {
  source: 'wifi',
  schema: WifiInput,
  key: (r) => r.deviceHash,
  async convert(v, ctx) {
    const t = instants(v, ['seenAt'] as const);
    if ('errors' in t) return t;
    const loc = await sensorLocation('wifi', 'sensorId', v.sensorId, v.lat, v.lng, ctx);
    if ('errors' in loc) return loc;
    const { seenAt } = t.values;
    const { hash, period } = ctx.pseudonymiser.hash('device', v.deviceId, seenAt);
    const record: WifiSighting = {
      recordId: recordId('wifi', v.id, [v.sensorId, hash, seenAt]),
      sensorId: v.sensorId,
      deviceHash: hash,
      seenAt,
      rssi: v.rssi ?? null,
      ...loc,
      keyPeriod: period,
      receivedAt: ctx.nowMs,
    };
    const errors = checkWifiSighting(record, ctx.limits);
    return errors.length > 0 ? { errors } : { record };
  },
};
