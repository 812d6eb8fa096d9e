// The schema codec interface: register Avro schemas under TopicNameStrategy subjects with BACKWARD
// compatibility, and encode/decode values in the Confluent wire format
// (magic byte 0, 4-byte big-endian schema id, Avro binary).

export type AvroSchema = Record<string, unknown>;

export interface Decoded {
  schemaId: number;
  value: Record<string, unknown>;
}

export interface SchemaCodec {
  /** Registers `schema` under `subject` (idempotent: the same schema returns the same id). */
  register(subject: string, schema: AvroSchema): Promise<number>;
  /** Encodes `value` with the schema this process registered for `subject`; throws `invalid_record` listing bad fields. */
  encode(subject: string, value: Record<string, unknown>): Promise<Buffer>;
  /** Decodes a Confluent-framed message; throws PassageError `bad_magic_byte`, `unknown_schema` or `undecodable`. */
  decode(buf: Buffer): Promise<Decoded>;
  /**
   * The same as `decode`, synchronously, when this codec has already decoded a message of the same
   * schema id (its schema is cached: ids never change meaning); undefined when it has not — call
   * `decode`, which asks the registry. Throws like `decode` (`bad_magic_byte`, `undecodable`).
   */
  decodeCached?(buf: Buffer): Decoded | undefined;
  close(): Promise<void>;
}

export const MAGIC_BYTE = 0;
