// Splits an ingest request body into records: a JSON array, `{ "records": [...] }`, or NDJSON (one
// JSON value per line; a line that does not parse is one rejected record, not a failed request).

import { badRequest, PassageError } from '../shared/errors.js';
import { NdjsonBody } from '../shared/http.js';

export type BodyItem = { ok: true; value: unknown } | { ok: false; error: string };

export function itemsFromBody(body: unknown, maxRecords: number): BodyItem[] {
  let items: BodyItem[];
  if (body instanceof NdjsonBody) {
    items = [];
    const lines = body.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line.length === 0) continue;
      try {
        items.push({ ok: true, value: JSON.parse(line) as unknown });
      } catch {
        items.push({ ok: false, error: `line ${i + 1} is not valid JSON` });
      }
    }
  } else if (Array.isArray(body)) {
    items = body.map((value: unknown) => ({ ok: true, value }));
  } else if (typeof body === 'object' && body !== null && Array.isArray((body as { records?: unknown }).records)) {
    items = (body as { records: unknown[] }).records.map((value) => ({ ok: true, value }));
  } else {
    throw badRequest('invalid_body', 'expected a JSON array of records, {"records": [...]} or NDJSON (application/x-ndjson)', [
      { field: 'body', reason: 'must be an array, an object with a records array, or NDJSON' },
    ]);
  }
  if (items.length === 0)
    throw badRequest('no_records', 'the body holds no records', [{ field: 'body', reason: 'must hold at least one record' }]);
  if (items.length > maxRecords) {
    throw new PassageError('too_many_records', `one request may carry at most ${maxRecords} records; split the batch`, {
      status: 413,
      fields: [{ field: 'body', reason: `holds ${items.length} records, more than ${maxRecords}` }],
    });
  }
  return items;
}
