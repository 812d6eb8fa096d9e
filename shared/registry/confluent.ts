// Schema codec on a real Confluent-compatible Schema Registry (Confluent's, or Apicurio's ccompat
// API) through @kafkajs/confluent-schema-registry. Registry errors are translated here: a missing
// schema id is bad data (`unknown_schema`), an unreachable registry is retriable.

import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { PassageError, errorMessage } from '../errors.js';
import type { AvroSchema, Decoded, SchemaCodec } from './types.js';
import { invalidRecordError, unframe } from './wire.js';

/** What the registry client decodes a schema id's messages with (an avsc Type for Avro). */
type Schema = Awaited<ReturnType<SchemaRegistry['getSchema']>>;

function status(err: unknown): number | null {
  if (typeof err === 'object' && err !== null && 'status' in err) return Number(err.status);
  return null;
}

function unavailable(what: string, err: unknown): PassageError {
  return new PassageError('registry_unavailable', `${what}: ${errorMessage(err)}`, { retriable: true, status: 503, cause: err });
}

export class ConfluentSchemaRegistry implements SchemaCodec {
  private readonly registry: SchemaRegistry;
  private readonly ids = new Map<string, number>();
  /** Schemas `decode` fetched (ids never change meaning): `decodeCached` decodes with them without a promise. */
  private readonly decoders = new Map<number, Schema>();

  constructor(private readonly url: string) {
    this.registry = new SchemaRegistry({ host: url, retry: { retries: 2 } });
  }

  async register(subject: string, schema: AvroSchema): Promise<number> {
    try {
      // Set the subject's compatibility first, so even the first registration is checked under it.
      const res = await fetch(`${this.url}/config/${encodeURIComponent(subject)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ compatibility: 'BACKWARD' }),
      });
      if (!res.ok) throw new Error(`PUT /config/${subject} answered ${res.status}: ${await res.text()}`);
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      this.ids.set(subject, id);
      return id;
    } catch (err) {
      if (status(err) === 409) {
        throw new PassageError('incompatible_schema', `schema for ${subject} is not BACKWARD compatible: ${errorMessage(err)}`, {
          status: 409,
          cause: err,
        });
      }
      if (status(err) !== null && status(err)! < 500)
        throw new PassageError('schema_rejected', `registry refused the schema for ${subject}: ${errorMessage(err)}`, { cause: err });
      throw unavailable(`registering ${subject}`, err);
    }
  }

  async encode(subject: string, value: Record<string, unknown>): Promise<Buffer> {
    let id = this.ids.get(subject);
    if (id === undefined) {
      try {
        id = await this.registry.getLatestSchemaId(subject);
      } catch (err) {
        if (status(err) === 404) throw new PassageError('unknown_subject', `no schema registered for ${subject}`, { cause: err });
        throw unavailable(`looking up ${subject}`, err);
      }
      this.ids.set(subject, id);
    }
    try {
      return await this.registry.encode(id, value);
    } catch (err) {
      if (err !== null && typeof err === 'object' && 'paths' in err) {
        throw invalidRecordError(
          subject,
          (err as { paths: string[][] }).paths.map((p) => p.join('.')),
        );
      }
      throw unavailable(`encoding for ${subject}`, err);
    }
  }

  async decode(buf: Buffer): Promise<Decoded> {
    const hit = this.decodeCached(buf);
    if (hit !== undefined) return hit;
    const { schemaId } = unframe(buf);
    let schema: Schema;
    try {
      schema = await this.registry.getSchema(schemaId);
    } catch (err) {
      // NOTE: only a 404 means the id is unknown. The registry client reports a network failure (a
      // refused or reset connection) as status 400, which must stay retriable: taking it for bad data
      // would dead-letter good records while the registry is unreachable.
      if (status(err) === 404) throw new PassageError('unknown_schema', `schema id ${schemaId} is not in the registry`, { cause: err });
      throw unavailable(`fetching schema ${schemaId}`, err);
    }
    let value: Record<string, unknown>;
    try {
      value = (await this.registry.decode(buf)) as Record<string, unknown>;
    } catch (err) {
      throw new PassageError('undecodable', `Avro decoding with schema ${schemaId} failed: ${errorMessage(err)}`, { cause: err });
    }
    // NOTE: registry.decode reads with exactly this schema (writerSchema.fromBuffer; Passage passes no reader schema).
    this.decoders.set(schemaId, schema);
    return { schemaId, value };
  }

  decodeCached(buf: Buffer): Decoded | undefined {
    const { schemaId, payload } = unframe(buf);
    const schema = this.decoders.get(schemaId);
    if (schema === undefined) return undefined;
    try {
      return { schemaId, value: schema.fromBuffer(payload) as Record<string, unknown> };
    } catch (err) {
      throw new PassageError('undecodable', `Avro decoding with schema ${schemaId} failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
