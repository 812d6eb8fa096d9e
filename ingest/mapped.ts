// Ingest of a vendor's own format: the rows of a request body (JSON, NDJSON or CSV) go through a
// mapper (ingest/mappers), the sensors it finds are registered, and the plain records it yields
// go through the ingest edge. Rejections are reported per input row, whichever step refused it.

import type { FieldError } from '../shared/errors.js';
import { CsvBody, NdjsonBody } from '../shared/http.js';
import type { SensorRegistry } from '../shared/sensors.js';
import type { RawSource } from '../shared/topics.js';
import type { EdgeIngest } from './edge.js';
import { readRows, type Mapper, type RowItem } from './mappers/index.js';
import { rejection, type IngestResult } from './result.js';

/** The rows of a parsed request body, each with its 1-based line (JSON: the element number). */
export async function* rowsOfBody(body: unknown): AsyncGenerator<RowItem> {
  if (body instanceof NdjsonBody) yield* readRows([body.text], 'ndjson');
  else if (body instanceof CsvBody) yield* readRows([body.text], 'csv');
  else if (Array.isArray(body)) for (const [i, row] of body.entries()) yield { kind: 'row', row, line: i + 1 };
  else yield { kind: 'row', row: body, line: 1 };
}

export interface MappedDeps {
  edge: EdgeIngest;
  sensors: SensorRegistry;
}

export async function ingestMapped(
  deps: MappedDeps,
  mapper: Mapper,
  rows: AsyncIterable<RowItem>,
  source: RawSource,
  owner: string | null,
): Promise<IngestResult & { sensors: number }> {
  const records: { line: number; value: unknown }[] = [];
  const errors = new Map<number, FieldError[]>();
  const refuse = (line: number, e: FieldError): void => {
    errors.set(line, [...(errors.get(line) ?? []), e]);
  };
  let sensors = 0;
  let lastLine = 0;
  const take = async (outputs: ReturnType<Mapper['push']>, line: number): Promise<void> => {
    for (const out of outputs) {
      if (out.kind === 'reject') refuse(out.line, { field: out.field, reason: out.reason });
      else if (out.kind === 'sensor') {
        const s = out.sensor;
        const put = await deps.sensors.putFor(owner, s);
        if (put === null) refuse(line, { field: 'sensorId', reason: `sensor ${s.sensorId} belongs to another owner` });
        else sensors += 1;
      } else if (out.source !== source)
        refuse(line, { field: 'record', reason: `the ${mapper.name} mapper yields ${out.source} records, not ${source}` });
      else records.push({ line, value: out.record });
    }
  };
  for await (const item of rows) {
    lastLine = item.line;
    if (item.kind === 'reject') refuse(item.line, { field: item.field, reason: item.reason });
    else await take(mapper.push(item.row, item.line), item.line);
  }
  await take(mapper.end(), lastLine);
  const result = await deps.edge.ingest(
    source,
    records.map((r) => ({ ok: true as const, value: r.value })),
    owner,
  );
  for (const r of result.rejected) for (const e of r.errors) refuse(records[r.index]!.line, e);
  const rejected = [...errors].sort(([a], [b]) => a - b).map(([line, e]) => rejection(line - 1, e));
  return { accepted: result.accepted, rejected, sensors };
}
