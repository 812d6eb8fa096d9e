// The pass-through "mapper" for files that already hold Passage's plain records (schemas/inputs.ts):
// every JSON value becomes a record of the given source; the ingest edge validates it.

import type { RawSource } from '../../shared/topics.js';
import type { MapOutput, Mapper } from '../mappers/index.js';

export type PlainMapperName = `plain-${RawSource}`;

export function plainMapper(source: RawSource): Mapper {
  return {
    name: `plain-${source}`,
    source,
    description: `plain ${source} records (NDJSON or a JSON array), validated by the ingest edge`,
    push: (row: unknown, line: number): MapOutput[] =>
      typeof row === 'object' && row !== null && !Array.isArray(row)
        ? [{ kind: 'record', source, record: row } as MapOutput]
        : [{ kind: 'reject', line, field: 'record', reason: 'must be a JSON object' }],
    end: () => [],
  };
}
