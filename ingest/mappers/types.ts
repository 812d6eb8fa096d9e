// The one interface every mapper implements: push one parsed input row (a CSV row object or one JSON
// value), get back plain edge records (schemas/inputs.ts), sensors to register first, or rejects
// that say which line and field failed and why. Mappers never throw on data, only on bad options.

import type { CameraInput, SensorInput, TelcoInput, TicketingInput, WifiInput } from '../../schemas/inputs.js';
import type { RawSource } from '../../shared/topics.js';

/** A plain edge record, tagged with its source so a caller can route it without inspecting fields. */
export type RecordOutput =
  | { kind: 'record'; source: 'camera'; record: CameraInput }
  | { kind: 'record'; source: 'wifi'; record: WifiInput }
  | { kind: 'record'; source: 'telco'; record: TelcoInput }
  | { kind: 'record'; source: 'ticketing'; record: TicketingInput };

export type MapOutput =
  | RecordOutput
  /** A sensor location found in the input; register it (PUT /v1/sensors/{id}) before the records that follow. */
  | { kind: 'sensor'; sensor: SensorInput }
  /** A row (or part of one) that cannot be mapped; `line` is 1-based, `field` names the input column or JSON path. */
  | { kind: 'reject'; line: number; field: string; reason: string };

export type RejectOutput = Extract<MapOutput, { kind: 'reject' }>;

export interface Mapper {
  name: string;
  source: RawSource;
  description: string;
  /** Feed one parsed input row (an object from CSV with header columns, or one JSON value); get what it maps to. `line` is 1-based for error messages. */
  push(row: unknown, line: number): MapOutput[];
  /** End of input: flush anything held (e.g. the last interval of a counter). */
  end(): MapOutput[];
}

/** Every mapper factory takes its options as plain data (validated inside; bad options throw `invalid_mapper_options`). */
export type MapperFactory = (opts?: unknown) => Mapper;

export function reject(line: number, field: string, reason: string): RejectOutput {
  return { kind: 'reject', line, field, reason };
}

export function cameraRecord(record: CameraInput): MapOutput {
  return { kind: 'record', source: 'camera', record };
}
export function wifiRecord(record: WifiInput): MapOutput {
  return { kind: 'record', source: 'wifi', record };
}
export function telcoRecord(record: TelcoInput): MapOutput {
  return { kind: 'record', source: 'telco', record };
}
export function ticketingRecord(record: TicketingInput): MapOutput {
  return { kind: 'record', source: 'ticketing', record };
}
