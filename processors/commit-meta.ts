// What a processor stores with each committed offset (Kafka offset-commit metadata): the window
// tracker's state; for keyed-state operators, where a restart replays from to rebuild that state;
// and — between announcing and finishing a write — the exact offset range that write covers, so a
// restart repeats the same write with the same deduplication token.

import type { ReplayPoint } from './core/operator.js';
import type { TrackerState } from './windows/tracker.js';

export interface CommitMeta {
  /** Set while a write of offsets [from, to] is in flight: the first write after a restart must cover exactly this range. */
  pending: { from: number; to: number } | null;
  tracker: TrackerState | null;
  /** Keyed state as of the committed offset is rebuilt by replaying from here (null: no state held). */
  replay: ReplayPoint | null;
}

export function encodeMeta(meta: CommitMeta): string {
  return JSON.stringify({
    v: 1,
    p: meta.pending,
    t: meta.tracker && { w: meta.tracker.watermark, c: Number.isFinite(meta.tracker.closedBefore) ? meta.tracker.closedBefore : null },
    ...(meta.replay === null ? {} : { r: { o: meta.replay.offset, c: meta.replay.clock } }),
  });
}

/** Tolerant: metadata written by anything else (or nothing) reads as empty. */
export function decodeMeta(text: string | null): CommitMeta {
  const empty: CommitMeta = { pending: null, tracker: null, replay: null };
  if (text === null || text === '') return empty;
  try {
    const o = JSON.parse(text) as {
      v?: number;
      p?: { from: number; to: number } | null;
      t?: { w: number | null; c: number | null } | null;
      r?: { o: number; c: number | null };
    };
    if (o.v !== 1) return empty;
    const pending =
      o.p && Number.isInteger(o.p.from) && Number.isInteger(o.p.to) && o.p.to >= o.p.from ? { from: o.p.from, to: o.p.to } : null;
    const tracker = o.t ? { watermark: o.t.w ?? null, closedBefore: o.t.c ?? Number.NEGATIVE_INFINITY } : null;
    const replay = o.r && Number.isInteger(o.r.o) && o.r.o >= 0 ? { offset: o.r.o, clock: typeof o.r.c === 'number' ? o.r.c : null } : null;
    return { pending, tracker, replay };
  } catch {
    return empty;
  }
}
