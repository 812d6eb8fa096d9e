// Telco edge adapter: a device event at a network cell {deviceId, networkCellId, seenAt, lat, lng,
// homeCountry?, segment?} becomes a TelcoEvent on pm.raw.telco.v1 with the subscriber identifier
// replaced by its keyed hash, keyed by that hash (one device's events stay in order for flows).

import { TelcoInput } from '../../schemas/inputs.js';
import { checkTelcoEvent, type TelcoEvent } from '../../schemas/records.js';
import { instants, recordId, type SourceAdapter } from '../adapter.js';

export const telcoAdapter: SourceAdapter<TelcoInput, TelcoEvent> = {
  source: 'telco',
  schema: TelcoInput,
  key: (r) => r.deviceHash,
  convert(v, ctx) {
    const t = instants(v, ['seenAt'] as const);
    if ('errors' in t) return Promise.resolve(t);
    const { seenAt } = t.values;
    const { hash, period } = ctx.pseudonymiser.hash('subscriber', v.deviceId, seenAt);
    const record: TelcoEvent = {
      recordId: recordId('telco', v.id, [hash, v.networkCellId, seenAt]),
      deviceHash: hash,
      networkCellId: v.networkCellId,
      seenAt,
      lat: v.lat,
      lng: v.lng,
      homeCountry: v.homeCountry ?? null,
      segment: v.segment ?? null,
      keyPeriod: period,
      receivedAt: ctx.nowMs,
    };
    const errors = checkTelcoEvent(record, ctx.limits);
    return Promise.resolve(errors.length > 0 ? { errors } : { record });
  },
};
