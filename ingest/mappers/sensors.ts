// Sensor locations a dataset brings in a side file, and the rule that each one is emitted once,
// just before its first record, so a consumer that registers sensors in order never sees a record
// of an unknown sensor. Reads the parsed side table; writes `sensor` outputs.

import type { SensorInput } from '../../schemas/inputs.js';
import type { MapOutput } from './types.js';

export class SensorEmitter {
  private readonly emitted = new Set<string>();

  constructor(private readonly known: ReadonlyMap<string, SensorInput>) {}

  location(sensorId: string): SensorInput | undefined {
    return this.known.get(sensorId);
  }

  /** `[sensor output]` the first time a record of `sensorId` is about to be emitted, else `[]`. */
  first(sensorId: string): MapOutput[] {
    const s = this.known.get(sensorId);
    if (s === undefined || this.emitted.has(sensorId)) return [];
    this.emitted.add(sensorId);
    return [{ kind: 'sensor', sensor: s }];
  }
}
