// What a stream processor runs per partition: an operator turns prepared records into rows for its
// tables. Stateless operators (counts, unique devices) only buffer rows until the next write;
// keyed-state operators (Wi-Fi sessions, telco trips, ticketing journeys) also hold per-device state
// across writes and name the offset a restart must replay from to rebuild it (processors/core/processor.ts).

import type { RawRecords } from '../raw/decode.js';
import type { RawSource } from '../../shared/topics.js';
import type { StepResult } from '../../shared/result.js';

/** Where a restart replays from to rebuild keyed state: the oldest offset that state depends on, and the operator's clock just before it. */
export interface ReplayPoint {
  offset: number;
  clock: number | null;
}

/** A window a record contributed to, with the event time that contribution happened at (for the window tracker). */
export interface Touch {
  windowStart: number;
  eventMs: number;
}

export interface TableRows {
  table: string;
  rows: Record<string, unknown>[];
}

export interface PartitionOperator<R> {
  /**
   * Adds one prepared record read at `offset`. `replay`: the record was processed before a restart
   * and its output is already stored — rebuild state only, emit nothing.
   */
  add(r: R, offset: number, replay: boolean): Touch[];
  /** Closes what is due, then returns every table's rows since the last take (and forgets them). Deterministic. */
  take(): TableRows[];
  /** Output rows buffered (the processor writes once this reaches its flush threshold). */
  size(): number;
  /** Keyed-state operators: where a restart must replay from (call after take()); null when nothing is held. */
  checkpoint(): ReplayPoint | null;
  /** Before replaying from `point`. */
  restore(point: ReplayPoint): void;
  /** After the replay reached the committed offset: drops what had closed by then, without output. */
  endReplay(): void;
}

export interface OperatorSpec<S extends RawSource, R> {
  /** Consumer group suffix and metric label: footfall, devices, flows. */
  readonly name: string;
  readonly source: S;
  /** Decoded raw record → what the operator reads (may look up the sensor registry; store failures are thrown, retriable). */
  prepare(value: RawRecords[S]): Promise<StepResult<R>>;
  /**
   * The same as prepare without a promise, when no I/O is needed (e.g. the record carries its own
   * location); undefined when prepare must be called.
   */
  prepareNow?(value: RawRecords[S]): StepResult<R> | undefined;
  /**
   * Set when a duplicate would change the result: records are then dropped when their id was
   * counted before (processors/core/counted.ts). `time` is the record's event time: a copy of a
   * record has the same one, and the counted ids are kept by its hour.
   */
  readonly dedup?: { id(r: R): string; time(r: R): number };
  create(): PartitionOperator<R>;
}
