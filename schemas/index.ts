// The Avro schemas of every topic (the .avsc files beside this module) and their registration
// under TopicNameStrategy subjects. Registration is idempotent and runs at every service start.

import { readFileSync } from 'node:fs';
import { assetPath } from '../shared/assets.js';
import type { AvroSchema, SchemaCodec } from '../shared/registry/types.js';
import { CONTEXT_KINDS, RAW_SOURCES, RELEASE_KINDS, subjectOf, type Topics } from '../shared/topics.js';

export function loadSchema(name: string): AvroSchema {
  return JSON.parse(readFileSync(assetPath('schemas', `${name}.avsc`), 'utf8')) as AvroSchema;
}

/** Every (topic, schema file) pair. */
export function topicSchemas(topics: Topics): { topic: string; schema: string }[] {
  return [
    ...RAW_SOURCES.map((s) => ({ topic: topics.raw(s), schema: `raw-${s}` })),
    ...CONTEXT_KINDS.map((k) => ({ topic: topics.context(k), schema: `ctx-${k}` })),
    ...RELEASE_KINDS.map((k) => ({ topic: topics.release(k), schema: `agg-${k}` })),
    { topic: topics.dlq(), schema: 'dlq' },
    { topic: topics.windows(), schema: 'windows' },
  ];
}

export async function registerAll(codec: SchemaCodec, topics: Topics): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const { topic, schema } of topicSchemas(topics)) {
    ids.set(subjectOf(topic), await codec.register(subjectOf(topic), loadSchema(schema)));
  }
  return ids;
}
