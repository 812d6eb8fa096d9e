import { describe, expect, it } from 'vitest';
import { decodeMeta, encodeMeta } from './commit-meta.js';

describe('commit metadata', () => {
  it('round-trips a pending range and tracker state', () => {
    const meta = {
      pending: { from: 10, to: 99 },
      tracker: { watermark: 1_700_000_000_000, closedBefore: 1_699_999_880_000 },
      replay: { offset: 3, clock: 1_699_999_000_000 },
    };
    expect(decodeMeta(encodeMeta(meta))).toEqual(meta);
  });

  it('round-trips a fresh tracker (nothing closed yet)', () => {
    const meta = { pending: null, tracker: { watermark: null, closedBefore: Number.NEGATIVE_INFINITY }, replay: null };
    expect(decodeMeta(encodeMeta(meta))).toEqual(meta);
  });

  it('reads foreign or broken metadata as empty', () => {
    for (const text of [null, '', 'not json', '{"v":2}', '{"v":1,"p":{"from":5,"to":1}}']) {
      expect(decodeMeta(text).pending).toBeNull();
    }
  });
});
