// In-process schema registry for embedded mode: the same subjects, ids, BACKWARD checks and
// Confluent wire format as a real registry, kept in memory (avsc does the Avro work).

import avro from 'avsc';
import { PassageError } from '../errors.js';
import type { AvroSchema, Decoded, SchemaCodec } from './types.js';
import { frame, invalidRecordError, unframe } from './wire.js';

function fromAvro(type: avro.Type, payload: Buffer): Record<string, unknown> {
  try {
    return type.fromBuffer(payload) as Record<string, unknown>;
  } catch (err) {
    throw new PassageError('undecodable', `Avro decoding failed: ${String(err)}`);
  }
}

export class LocalSchemaRegistry implements SchemaCodec {
  private readonly byId = new Map<number, avro.Type>();
  private readonly canonicalToId = new Map<string, number>();
  private readonly subjects = new Map<string, { id: number; type: avro.Type }[]>();
  /** Types `decode` has used (what `decodeCached` decodes with, like a remote registry's cache). */
  private readonly decoders = new Map<number, avro.Type>();

  register(subject: string, schema: AvroSchema): Promise<number> {
    const type = avro.Type.forSchema(schema as avro.Schema);
    const canonical = JSON.stringify(type.schema());
    const versions = this.subjects.get(subject) ?? [];
    const existing = this.canonicalToId.get(canonical);
    if (existing !== undefined && versions.some((v) => v.id === existing)) return Promise.resolve(existing);
    const latest = versions.at(-1);
    if (latest !== undefined) {
      // BACKWARD: a reader on the new schema must read data written with the previous one.
      try {
        type.createResolver(latest.type);
      } catch (err) {
        return Promise.reject(
          new PassageError(
            'incompatible_schema',
            `schema for ${subject} is not BACKWARD compatible with version ${versions.length}: ${String(err)}`,
            { status: 409 },
          ),
        );
      }
    }
    const id = existing ?? this.byId.size + 1;
    this.byId.set(id, type);
    this.canonicalToId.set(canonical, id);
    versions.push({ id, type });
    this.subjects.set(subject, versions);
    return Promise.resolve(id);
  }

  encode(subject: string, value: Record<string, unknown>): Promise<Buffer> {
    const latest = this.subjects.get(subject)?.at(-1);
    if (latest === undefined) return Promise.reject(new PassageError('unknown_subject', `no schema registered for ${subject}`));
    const paths: string[] = [];
    if (!latest.type.isValid(value, { errorHook: (p) => paths.push(p.join('.')) }))
      return Promise.reject(invalidRecordError(subject, paths));
    return Promise.resolve(frame(latest.id, latest.type.toBuffer(value)));
  }

  decode(buf: Buffer): Promise<Decoded> {
    try {
      const hit = this.decodeCached(buf);
      if (hit !== undefined) return Promise.resolve(hit);
      const { schemaId, payload } = unframe(buf);
      const type = this.byId.get(schemaId);
      if (type === undefined) throw new PassageError('unknown_schema', `schema id ${schemaId} is not registered`);
      this.decoders.set(schemaId, type);
      return Promise.resolve({ schemaId, value: fromAvro(type, payload) });
    } catch (err) {
      return Promise.reject(err instanceof PassageError ? err : new PassageError('undecodable', `Avro decoding failed: ${String(err)}`));
    }
  }

  decodeCached(buf: Buffer): Decoded | undefined {
    const { schemaId, payload } = unframe(buf);
    const type = this.decoders.get(schemaId);
    return type === undefined ? undefined : { schemaId, value: fromAvro(type, payload) };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
