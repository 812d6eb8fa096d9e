// The answer of every ingest route (DESIGN.md, API surface): 202 with what was accepted and, per
// rejected record, its index and why; 400 with the same body when nothing was accepted.

import type { FieldError } from '../shared/errors.js';
import { counter } from '../shared/metrics.js';

export interface Rejection {
  index: number;
  /** One line: `field: reason; field: reason`. */
  error: string;
  errors: FieldError[];
}

export interface IngestResult {
  accepted: number;
  rejected: Rejection[];
}

export const ingestRecords = counter('ingest_records_total', 'Records received over HTTP, by outcome (accepted, rejected)', [
  'source',
  'outcome',
]);
export const ingestRejections = counter('ingest_rejections_total', 'Rejected records by the field at fault', ['source', 'field']);
export const ingestBytes = counter('ingest_bytes_total', 'Bytes of ingest request bodies', ['source']);

export function rejection(index: number, errors: FieldError[]): Rejection {
  return { index, error: errors.map((e) => `${e.field}: ${e.reason}`).join('; '), errors };
}

export function countOutcome(source: string, result: IngestResult): void {
  ingestRecords.inc({ source, outcome: 'accepted' }, result.accepted);
  ingestRecords.inc({ source, outcome: 'rejected' }, result.rejected.length);
  for (const r of result.rejected) for (const e of r.errors) ingestRejections.inc({ source, field: e.field });
}
