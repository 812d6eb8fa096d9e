// The bus contract, run against the in-process bus and real Kafka: keyed partitioning keeps a key's
// order, batches arrive per partition, commits carry metadata, unresolved messages come again and
// a failed batch restarts from the committed offset.

import { describe, expect, it } from 'vitest';
import { eventually, uid } from '../testing/fixtures.js';
import type { Bus, InMessage } from './types.js';

export function busContract(makeBus: () => Bus): void {
  describe('bus contract', () => {
    it('delivers keyed messages in order per key, with headers, and commits with metadata', async () => {
      const bus = makeBus();
      const topic = uid('topic.');
      const groupId = uid('group.');
      await bus.ensureTopics([{ name: topic, partitions: 3, config: {} }]);
      await bus.ensureTopics([{ name: topic, partitions: 3, config: {} }]); // idempotent
      const keys = ['a', 'b', 'c', 'd', 'e'];
      for (let i = 0; i < 50; i++) {
        const key = keys[i % keys.length]!;
        await bus.produce(topic, [{ key, value: Buffer.from(`${key}:${i}`), headers: { 'x-seq': String(i) } }]);
      }
      const got: InMessage[] = [];
      const sub = await bus.consume({
        groupId,
        topics: [topic],
        fromBeginning: true,
        onBatch: async (batch, ctx) => {
          got.push(...batch.messages);
          const last = batch.messages.at(-1)!.offset;
          await ctx.commit(last + 1, JSON.stringify({ upTo: last }));
          ctx.resolve(last);
        },
      });
      try {
        await eventually(
          () => Promise.resolve(got.length),
          (n) => n >= 50,
          60_000,
        );
        expect(got).toHaveLength(50);
        for (const key of keys) {
          const mine = got.filter((m) => m.key?.toString() === key);
          expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
          const seqs = mine.map((m) => Number(m.headers['x-seq']));
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        }
        const committed = await eventually(
          () => bus.committed(groupId, topic),
          (cs) => cs.filter((c) => c.offset !== null).reduce((s, c) => s + c.offset!, 0) === 50,
          30_000,
        );
        const used = committed.filter((c) => c.offset !== null);
        expect(used.reduce((s, c) => s + c.offset!, 0)).toBe(50);
        for (const c of used) expect(JSON.parse(c.metadata!)).toEqual({ upTo: c.offset! - 1 });
      } finally {
        await sub.stop();
        await bus.close();
      }
    });

    it('restarts a failed batch from the committed offset, and redelivers unresolved messages', async () => {
      const bus = makeBus();
      const topic = uid('topic.');
      const groupId = uid('group.');
      await bus.ensureTopics([{ name: topic, partitions: 1, config: {} }]);
      await bus.produce(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: Buffer.from(String(i)) })),
      );
      const seen: number[] = [];
      let failOnce = true;
      let rewinds = 0;
      const sub = await bus.consume({
        groupId,
        topics: [topic],
        fromBeginning: true,
        onRewind: () => {
          rewinds += 1;
        },
        onBatch: async (batch, ctx) => {
          for (const m of batch.messages) {
            seen.push(m.offset);
            if (m.offset === 4) {
              await ctx.commit(4);
              if (failOnce) {
                failOnce = false;
                throw new Error('boom');
              }
            }
          }
          const last = batch.messages.at(-1)!.offset;
          await ctx.commit(last + 1);
          ctx.resolve(last);
        },
      });
      try {
        await eventually(
          () => Promise.resolve(seen.filter((o) => o === 9).length),
          (n) => n >= 1,
          60_000,
        );
        // Offsets 0-4 first; after the failure, again from 4 (the committed offset) to the end.
        expect(seen.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
        expect(seen.slice(5)).toEqual([4, 5, 6, 7, 8, 9]);
        expect(rewinds).toBeGreaterThanOrEqual(2);
      } finally {
        await sub.stop();
        await bus.close();
      }
    });

    it('reports the earliest and next offset of every partition', async () => {
      const bus = makeBus();
      const topic = uid('topic.');
      try {
        await bus.ensureTopics([{ name: topic, partitions: 2, config: {} }]);
        expect(await bus.offsets(topic)).toEqual([
          { partition: 0, low: 0, high: 0 },
          { partition: 1, low: 0, high: 0 },
        ]);
        await bus.produce(
          topic,
          Array.from({ length: 5 }, (_, i) => ({ key: 'same', value: Buffer.from(String(i)) })),
        );
        const offsets = await bus.offsets(topic);
        expect(offsets.map((o) => o.low)).toEqual([0, 0]);
        expect(offsets.map((o) => o.high).sort()).toEqual([0, 5]);
      } finally {
        await bus.close();
      }
    });

    it('reads a partition again from an earlier offset after a seek, dropping the rest of the batch', async () => {
      const bus = makeBus();
      const topic = uid('topic.');
      const groupId = uid('group.');
      await bus.ensureTopics([{ name: topic, partitions: 1, config: {} }]);
      await bus.produce(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: Buffer.from(String(i)) })),
      );
      const seen: number[] = [];
      let sought = false;
      const sub = await bus.consume({
        groupId,
        topics: [topic],
        fromBeginning: true,
        onBatch: async (batch, ctx) => {
          for (const m of batch.messages) {
            seen.push(m.offset);
            if (m.offset === 6 && !sought) {
              sought = true;
              await ctx.commit(7);
              ctx.seek(2);
              return;
            }
          }
          const last = batch.messages.at(-1)!.offset;
          await ctx.commit(last + 1);
          ctx.resolve(last);
        },
      });
      try {
        await eventually(
          () => Promise.resolve(seen.filter((o) => o === 9).length),
          (n) => n >= 1,
          60_000,
        );
        // 0-6, then from 2 again (before the committed offset 7) to the end.
        const again = seen.indexOf(2, 3);
        expect(seen.slice(0, again)).toEqual([0, 1, 2, 3, 4, 5, 6]);
        expect(seen.slice(again)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
        expect((await bus.committed(groupId, topic))[0]?.offset).toBe(10);
      } finally {
        await sub.stop();
        await bus.close();
      }
    });
  });
}
