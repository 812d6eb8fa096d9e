import { describe, expect, it } from 'vitest';
import { MemoryBus } from './memory.js';
import { busContract } from './contract.js';
import { eventually } from '../testing/fixtures.js';

describe('in-process bus', () => {
  busContract(() => new MemoryBus({ retryBackoffMs: 10 }));

  it('refuses unknown topics and a second consumer in one group', async () => {
    const bus = new MemoryBus();
    await expect(bus.produce('nope', [{ key: null, value: null }])).rejects.toThrow(/does not exist/);
    await bus.ensureTopics([{ name: 't', partitions: 1, config: {} }]);
    const sub = await bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, onBatch: () => Promise.resolve() });
    await expect(bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, onBatch: () => Promise.resolve() })).rejects.toThrow(
      /one consumer per group/,
    );
    await sub.stop();
  });
});

describe('in-process bus retention', () => {
  const spec = (name: string, retentionMs: number) => ({
    name,
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(retentionMs) },
  });
  const values = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(String(from + i)) }));

  it('drops what every group is past once older than retainMs, never what one still needs', async () => {
    let now = 1_000_000;
    const bus = new MemoryBus({ retainMs: 60_000, now: () => now });
    await bus.ensureTopics([spec('t', 3_600_000)]);
    const committedUpTo = { fast: 0, slow: 0 };
    const consumer = (group: 'fast' | 'slow', upTo: number) =>
      bus.consume({
        groupId: group,
        topics: ['t'],
        fromBeginning: true,
        onBatch: async (batch, ctx) => {
          const last = Math.min(batch.messages.at(-1)!.offset, upTo - 1);
          if (last < batch.messages[0]!.offset) return;
          await ctx.commit(last + 1);
          ctx.resolve(last);
          committedUpTo[group] = last + 1;
        },
      });
    const fast = await consumer('fast', Infinity);
    const slow = await consumer('slow', 40);
    await bus.produce(
      't',
      values(100).map((m) => ({ ...m, timestamp: now })),
    );
    await eventually(
      () => Promise.resolve(committedUpTo),
      (c) => c.fast === 100 && c.slow === 40,
    );
    // Young: nothing goes. Old, but the slow group has only taken 40: those 40 go.
    bus.trim();
    expect((await bus.offsets('t'))[0]).toEqual({ partition: 0, low: 0, high: 100 });
    now += 61_000;
    bus.trim();
    expect((await bus.offsets('t'))[0]).toEqual({ partition: 0, low: 40, high: 100 });
    // Stopped, a group that committed may come back: what it has not committed stays.
    await slow.stop();
    bus.trim();
    expect((await bus.offsets('t'))[0]).toEqual({ partition: 0, low: 40, high: 100 });
    const again = await consumer('slow', Infinity);
    await eventually(
      () => Promise.resolve(committedUpTo.slow),
      (n) => n === 100,
    );
    await again.stop();
    bus.trim();
    expect((await bus.offsets('t'))[0]).toEqual({ partition: 0, low: 100, high: 100 });
    // A new group starts at what is held; new messages keep their offsets.
    await bus.produce(
      't',
      values(5, 100).map((m) => ({ ...m, timestamp: now })),
    );
    const seen: number[] = [];
    const late = await bus.consume({
      groupId: 'late',
      topics: ['t'],
      fromBeginning: true,
      onBatch: (batch, ctx) => {
        seen.push(...batch.messages.map((m) => m.offset));
        ctx.resolve(batch.messages.at(-1)!.offset);
        return Promise.resolve();
      },
    });
    await eventually(
      () => Promise.resolve(seen.length),
      (n) => n >= 5,
    );
    expect(seen).toEqual([100, 101, 102, 103, 104]);
    expect(bus.allMessages().map((m) => m.offset)).toEqual([100, 101, 102, 103, 104]);
    await Promise.all([fast.stop(), late.stop()]);
  });

  it('lets a group that never commits (the live hub) release what it has read; keeps a topic nobody reads for its retention.ms', async () => {
    let now = 1_000_000;
    const bus = new MemoryBus({ retainMs: 60_000, now: () => now });
    await bus.ensureTopics([
      spec('read', 3_600_000),
      spec('unread', 3_600_000),
      { name: 'ctx', partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ]);
    let read = 0;
    const reader = await bus.consume({
      groupId: 'hub',
      topics: ['read'],
      fromBeginning: true,
      onBatch: (batch, ctx) => {
        read = batch.messages.at(-1)!.offset + 1;
        ctx.resolve(read - 1);
        return Promise.resolve();
      },
    });
    for (const t of ['read', 'unread', 'ctx'])
      await bus.produce(
        t,
        values(10).map((m) => ({ ...m, timestamp: now })),
      );
    await eventually(
      () => Promise.resolve(read),
      (n) => n === 10,
    );
    now += 61_000;
    bus.trim();
    expect((await bus.offsets('read'))[0]!.low).toBe(10);
    expect((await bus.offsets('unread'))[0]!.low).toBe(0);
    now += 3_600_000;
    bus.trim();
    expect((await bus.offsets('unread'))[0]!.low).toBe(10);
    expect((await bus.offsets('ctx'))[0]!.low).toBe(0);
    await reader.stop();
  });
});
