// Camera edge adapter: line-crossing counts {sensorId, start, end, in, out, line?, class?} become
// CameraCount records on pm.raw.camera.v1, keyed by sensor. Counts carry no identity.

import { CameraInput } from '../../schemas/inputs.js';
import { checkCameraCount, type CameraCount } from '../../schemas/records.js';
import { instants, recordId, sensorLocation, type SourceAdapter } from '../adapter.js';

export const cameraAdapter: SourceAdapter<CameraInput, CameraCount> = {
  source: 'camera',
  schema: CameraInput,
  key: (r) => r.sensorId,
  async convert(v, ctx) {
    const t = instants(v, ['start', 'end'] as const);
    if ('errors' in t) return t;
    const loc = await sensorLocation('camera', 'sensorId', v.sensorId, v.lat, v.lng, ctx);
    if ('errors' in loc) return loc;
    const { start, end } = t.values;
    const line = v.line ?? null;
    const cls = v.class ?? null;
    const record: CameraCount = {
      recordId: recordId('camera', v.id, [v.sensorId, start, end, line, cls]),
      sensorId: v.sensorId,
      start,
      end,
      in: v.in,
      out: v.out,
      line,
      class: cls,
      ...loc,
      receivedAt: ctx.nowMs,
    };
    const errors = checkCameraCount(record, ctx.limits);
    return errors.length > 0 ? { errors } : { record };
  },
};
