// Duplicate dropping by record id against seen_ids (migration 0006): which ids of a batch were
// already counted, and where a write puts the ids it counted. The ids travel to the store as one
// newline-joined String parameter, split and hashed there: an Array(String) parameter of a batch's
// thousands of ids cost more to bind than the lookup itself.

import type { Store } from '../../shared/store/types.js';

/** Where a write inserts the ids it counted (rows: source, record_id, topic, partition, offset). */
export const SEEN_IDS_INSERT_TABLE = 'seen_ids_in';

const LOOKUP = (ids: string): string => `
  SELECT record_id FROM (SELECT arrayJoin(${ids}) AS record_id)
  WHERE reinterpretAsUInt128(sipHash128(record_id)) IN (
    SELECT id FROM {db:Identifier}.seen_ids
    WHERE source = {source:String}
      AND id IN (SELECT reinterpretAsUInt128(sipHash128(arrayJoin(${ids}))))
      AND NOT (topic = {topic:String} AND partition = {partition:UInt32} AND offset >= {from:UInt64}))`;
const BY_STRING = LOOKUP(`splitByChar('\\n', {ids:String})`);
const BY_ARRAY = LOOKUP('{ids:Array(String)}');

export interface SeenQuery {
  source: string;
  ids: readonly string[];
  /** Ids written from this partition at or after `from` are left out: only a repeat of the same write can hold them. */
  topic: string;
  partition: number;
  from: number;
}

/** The ids among `q.ids` already counted for `q.source` (see SeenQuery for the ones left out). */
export async function alreadySeen(store: Store, q: SeenQuery): Promise<Set<string>> {
  if (q.ids.length === 0) return new Set();
  const joinable = q.ids.every((id) => !id.includes('\n'));
  const rows = await store.query<{ record_id: string }>(joinable ? BY_STRING : BY_ARRAY, {
    source: q.source,
    ids: joinable ? q.ids.join('\n') : q.ids,
    topic: q.topic,
    partition: q.partition,
    from: q.from,
  });
  return new Set(rows.map((r) => r.record_id));
}
