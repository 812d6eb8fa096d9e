// Pseudonymisation at the edge (DESIGN.md, Privacy): raw device, card and subscriber identifiers
// are replaced on receipt by a keyed HMAC. The key of each period (hour, day or week in
// PASSAGE_TIMEZONE) is derived from the secret and the period, so hashes from different periods
// cannot be linked and the secret itself never keys a hash.

import { createHmac } from 'node:crypto';
import { DateTime } from 'luxon';

export type Rotation = 'hourly' | 'daily' | 'weekly';
export type IdentifierKind = 'device' | 'card' | 'subscriber';

export interface PseudonymiserOptions {
  /** At least 32 bytes of secret; never logged, never stored next to data. */
  secret: Buffer;
  rotation: Rotation;
  timeZone: string;
}

/** Identifiers differ in spelling between vendors (AA:BB:… vs aabb.…): hash one canonical form. */
export function canonicalIdentifier(raw: string): string {
  const t = raw.trim().toLowerCase();
  return /^[0-9a-f]{2}([:.-]?[0-9a-f]{2}){5}$/.test(t) || /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(t) ? t.replace(/[:.-]/g, '') : t;
}

export class Pseudonymiser {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly opts: PseudonymiserOptions) {
    if (opts.secret.length < 32) throw new Error('the pseudonymisation secret must be at least 32 bytes');
  }

  /** The key period an instant falls in, e.g. 2026-11-22 (daily), 2026-11-22T08 (hourly), 2026-W47 (weekly). */
  period(atMs: number): string {
    const t = DateTime.fromMillis(atMs, { zone: this.opts.timeZone });
    if (this.opts.rotation === 'hourly') return t.toFormat("yyyy-LL-dd'T'HH");
    if (this.opts.rotation === 'weekly') return t.toFormat("kkkk-'W'WW");
    return t.toFormat('yyyy-LL-dd');
  }

  private keyOf(period: string): Buffer {
    let key = this.keys.get(period);
    if (key === undefined) {
      key = createHmac('sha256', this.opts.secret).update(`passage/pseudonym-key/v1/${period}`).digest();
      if (this.keys.size > 64) this.keys.clear();
      this.keys.set(period, key);
    }
    return key;
  }

  /** The pseudonym of `raw` in the period of `atMs`: 128 bits, base64url. */
  hash(kind: IdentifierKind, raw: string, atMs: number): { hash: string; period: string } {
    const period = this.period(atMs);
    const hash = createHmac('sha256', this.keyOf(period))
      .update(`${kind}/${canonicalIdentifier(raw)}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    return { hash, period };
  }
}
