// What a processor stores with each committed offset (Kafka offset-commit metadata): the window
// tracker's state, and — between announcing and finishing a write — the exact offset range that
// write covers, so a restart repeats the same write with the same deduplication token.

import type { TrackerState } from './windows/tracker.js';

export interface CommitMeta {
  /** Set while a write of offsets [from, to] is in flight: the first write after a restart must cover exactly this range. */
  pending: { from: number; to: number } | null;
  tracker: TrackerState | null;
}

export function encodeMeta(meta: CommitMeta): string {
  return JSON.stringify({
    v: 1,
    p: meta.pending,
    t: meta.tracker && { w: meta.tracker.watermark, c: Number.isFinite(meta.tracker.closedBefore) ? meta.tracker.closedBefore : null },
  });
}

/** Tolerant: metadata written by anything else (or nothing) reads as empty. */
export function decodeMeta(text: string | null): CommitMeta {
  const empty: CommitMeta = { pending: null, tracker: null };
  if (text === null || text === '') return empty;
  try {
    const o = JSON.parse(text) as {
      v?: number;
      p?: { from: number; to: number } | null;
      t?: { w: number | null; c: number | null } | null;
    };
    if (o.v !== 1) return empty;
    const pending =
      o.p && Number.isInteger(o.p.from) && Number.isInteger(o.p.to) && o.p.to >= o.p.from ? { from: o.p.from, to: o.p.to } : null;
    const tracker = o.t ? { watermark: o.t.w ?? null, closedBefore: o.t.c ?? Number.NEGATIVE_INFINITY } : null;
    return { pending, tracker };
  } catch {
    return empty;
  }
}
