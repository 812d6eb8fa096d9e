// The footfall processor: camera counts or ticketing entries/exits from pm.raw.camera.v1 or
// pm.raw.ticketing.v1, summed exactly per (base cell, 5-minute window, breakdown) into counts_5m —
// the count operator on the exactly-once stream processor (processors/core/processor.ts). A count
// carries no identity, so duplicates are dropped by record id (counted_ids, processors/core/counted.ts).

import type { SensorRegistry } from '../../shared/sensors.js';
import { StreamProcessor, type ProcessorDeps } from '../core/processor.js';
import type { OperatorSpec, PartitionOperator, TableRows, Touch } from '../core/operator.js';
import { CountAggregate } from './aggregate.js';
import { locate, toCounted, type CountedRecord, type CountSource } from './steps.js';
import { ok, type StepResult } from '../../shared/result.js';
import type { CameraCount, TicketingEvent } from '../../schemas/records.js';
import { baseCell } from '../core/locate.js';

export interface LocatedCount {
  record: CountedRecord;
  cell: bigint;
}

class CountOperator implements PartitionOperator<LocatedCount> {
  private readonly agg: CountAggregate;

  constructor(
    private readonly source: CountSource,
    windowMs: number,
  ) {
    this.agg = new CountAggregate(windowMs);
  }

  add(r: LocatedCount): Touch[] {
    return this.agg.add(r.record, r.cell).map((windowStart) => ({ windowStart, eventMs: r.record.end }));
  }

  take(): TableRows[] {
    const rows = [...this.agg.values()].map((r) => ({
      source: this.source,
      cell: r.cell,
      window_start: r.windowStart / 1000,
      breakdown: r.breakdown,
      entries: r.entries,
      exits: r.exits,
    }));
    this.agg.clear();
    return [{ table: 'counts_5m', rows }];
  }

  size(): number {
    return this.agg.size();
  }

  checkpoint(): null {
    return null;
  }

  restore(): void {}

  endReplay(): void {}
}

export function countOperator(source: CountSource, sensors: SensorRegistry, windowMs: number): OperatorSpec<CountSource, LocatedCount> {
  // A record with its own location needs no sensor lookup (locate's 'when-needed').
  const prepareNow = (value: CameraCount | TicketingEvent): StepResult<LocatedCount> | undefined => {
    const record = toCounted(source, value);
    return record.lat !== null && record.lng !== null ? ok({ record, cell: baseCell(record.lat, record.lng) }) : undefined;
  };
  return {
    name: 'footfall',
    source,
    prepareNow,
    prepare: async (value) => {
      const now = prepareNow(value);
      if (now !== undefined) return now;
      const record = toCounted(source, value);
      const cell = await locate(record, sensors);
      return cell.kind === 'ok' ? ok({ record, cell: cell.value }) : cell;
    },
    dedup: { id: (r) => r.record.recordId, time: (r) => r.record.start },
    create: () => new CountOperator(source, windowMs),
  };
}

export interface FootfallProcessorDeps extends ProcessorDeps {
  sensors: SensorRegistry;
  /** Which raw topic this instance aggregates (default camera). */
  source?: CountSource;
}

export class FootfallProcessor extends StreamProcessor<CountSource, LocatedCount> {
  constructor(deps: FootfallProcessorDeps) {
    super(deps, countOperator(deps.source ?? 'camera', deps.sensors, deps.processing.windowMs));
  }
}
