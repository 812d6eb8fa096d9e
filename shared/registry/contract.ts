// What every schema codec must do, run against the in-process registry and a real registry:
// idempotent registration, BACKWARD compatibility enforced, Confluent framing, clear decode errors.

import { describe, expect, it } from 'vitest';
import { registerAll, topicSchemas } from '../../schemas/index.js';
import type { PassageError } from '../errors.js';
import { uid } from '../testing/fixtures.js';
import { subjectOf, Topics } from '../topics.js';
import type { SchemaCodec } from './types.js';

const v1 = { type: 'record', name: 'Probe', namespace: 'passage.test', fields: [{ name: 'a', type: 'string' }] };
const compatible = { ...v1, fields: [...v1.fields, { name: 'b', type: 'int', default: 0 }] };
const incompatible = { ...v1, fields: [...v1.fields, { name: 'c', type: 'long' }] };

async function errorOf(p: Promise<unknown>): Promise<PassageError> {
  try {
    await p;
  } catch (err) {
    return err as PassageError;
  }
  throw new Error('expected a rejection');
}

export function codecContract(makeCodec: () => SchemaCodec): void {
  describe('schema codec contract', () => {
    it('registers idempotently, accepts a BACKWARD-compatible change and refuses an incompatible one', async () => {
      const codec = makeCodec();
      const subject = `${uid('compat')}-value`;
      const id1 = await codec.register(subject, v1);
      expect(await codec.register(subject, v1)).toBe(id1);
      const id2 = await codec.register(subject, compatible);
      expect(id2).not.toBe(id1);
      const err = await errorOf(codec.register(subject, incompatible));
      expect(err.code).toBe('incompatible_schema');
    });

    it('encodes in the Confluent wire format and decodes back', async () => {
      const codec = makeCodec();
      const subject = `${uid('wire')}-value`;
      const id = await codec.register(subject, v1);
      const buf = await codec.encode(subject, { a: 'hello' });
      expect(buf[0]).toBe(0);
      expect(buf.readUInt32BE(1)).toBe(id);
      expect(await codec.decode(buf)).toEqual({ schemaId: id, value: { a: 'hello' } });
    });

    it('names the invalid fields of a record that does not fit its schema', async () => {
      const codec = makeCodec();
      const subject = `${uid('bad')}-value`;
      await codec.register(subject, v1);
      const err = await errorOf(codec.encode(subject, { a: 42 }));
      expect(err.code).toBe('invalid_record');
      expect(err.message).toContain('a');
    });

    it('tells a bad magic byte from an unknown schema id', async () => {
      const codec = makeCodec();
      expect((await errorOf(codec.decode(Buffer.from('{"json":true}')))).code).toBe('bad_magic_byte');
      const unknown = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 0x61]);
      expect((await errorOf(codec.decode(unknown))).code).toBe('unknown_schema');
    });

    it('decodes synchronously once it has decoded a schema id, with the same results and errors as decode', async () => {
      const codec = makeCodec();
      const subject = `${uid('cached')}-value`;
      // A schema of its own: an id another test decoded would already be cached.
      const id = await codec.register(subject, { ...v1, name: uid('Cached') });
      const buf = await codec.encode(subject, { a: 'first' });
      expect(codec.decodeCached?.(buf)).toBeUndefined(); // not decoded yet: decode asks the registry
      expect(await codec.decode(buf)).toEqual({ schemaId: id, value: { a: 'first' } });
      const next = await codec.encode(subject, { a: 'second' });
      if (codec.decodeCached !== undefined) expect(codec.decodeCached(next)).toEqual({ schemaId: id, value: { a: 'second' } });
      expect(await codec.decode(next)).toEqual({ schemaId: id, value: { a: 'second' } });
      // A string of length 20 with only 2 bytes of it: undecodable, both ways.
      const truncated = Buffer.concat([buf.subarray(0, 5), Buffer.from([40, 0x61])]);
      expect((await errorOf(codec.decode(truncated))).code).toBe('undecodable');
      if (codec.decodeCached !== undefined) {
        expect((await errorOf(Promise.resolve().then(() => codec.decodeCached!(truncated)))).code).toBe('undecodable');
        expect((await errorOf(Promise.resolve().then(() => codec.decodeCached!(Buffer.from('{}'))))).code).toBe('bad_magic_byte');
        expect(codec.decodeCached(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 0x61]))).toBeUndefined();
      }
    });

    it("registers every Passage topic's schema, twice with the same ids", async () => {
      const codec = makeCodec();
      const topics = new Topics(`${uid()}.`);
      const first = await registerAll(codec, topics);
      expect([...first.keys()].sort()).toEqual(
        topicSchemas(topics)
          .map((t) => subjectOf(t.topic))
          .sort(),
      );
      expect(await registerAll(codec, topics)).toEqual(first);
    });
  });
}
