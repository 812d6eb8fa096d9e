// Confluent wire format framing, shared by the local and the remote registry codecs.

import { PassageError } from '../errors.js';
import { MAGIC_BYTE } from './types.js';

export function frame(schemaId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, payload]);
}

export function unframe(buf: Buffer): { schemaId: number; payload: Buffer } {
  if (buf.length < 5 || buf.readUInt8(0) !== MAGIC_BYTE) {
    throw new PassageError('bad_magic_byte', 'value is not in the Confluent wire format (magic byte 0 + schema id)');
  }
  return { schemaId: buf.readUInt32BE(1), payload: buf.subarray(5) };
}

export function invalidRecordError(subject: string, paths: string[]): PassageError {
  return new PassageError(
    'invalid_record',
    `record does not match the schema of ${subject}; invalid fields: ${paths.join(', ') || '(root)'}`,
    {
      status: 400,
      fields: paths.map((p) => ({ field: p, reason: 'does not match the schema' })),
    },
  );
}
