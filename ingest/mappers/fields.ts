// Reading vendor rows: a column is found by a list of accepted names (exact first, then ignoring
// case), and values go through strict parsers that return a `Bad` with the reason instead of
// guessing. Reads plain row objects (CSV or JSON); writes nothing.

import { DEFAULT_MAX_COUNT } from '../../schemas/records.js';

export type Row = Record<string, unknown>;
/** One accepted column name, or several in order of preference. */
export type ColumnSpec = string | readonly string[];

/** Why a value could not be read; mappers turn it into a reject naming the column. */
export class Bad {
  constructor(readonly reason: string) {}
}

export function asRow(value: unknown): Row | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Row) : null;
}

export interface Cell {
  /** The column the value came from, or the first accepted name when the row has none of them. */
  name: string;
  value: unknown;
}

/** Finds logical columns (`sensor`, `start`, …) in rows whose header names vary between vendors. */
export class Columns<K extends string> {
  private readonly names: Record<K, readonly string[]>;
  private readonly resolved = new Map<K, string>();

  constructor(spec: Record<K, ColumnSpec>) {
    const names = {} as Record<K, readonly string[]>;
    for (const k of Object.keys(spec) as K[]) {
      const v: ColumnSpec = spec[k];
      names[k] = typeof v === 'string' ? [v] : v;
    }
    this.names = names;
  }

  get(row: Row, key: K): Cell {
    // CSV rows share one header, so the name found in the first row is almost always right.
    const cached = this.resolved.get(key);
    if (cached !== undefined && Object.hasOwn(row, cached)) return { name: cached, value: row[cached] };
    const accepted = this.names[key];
    for (const n of accepted) {
      if (Object.hasOwn(row, n)) {
        this.resolved.set(key, n);
        return { name: n, value: row[n] };
      }
    }
    const keys = Object.keys(row);
    for (const n of accepted) {
      const lower = n.toLowerCase();
      const found = keys.find((k) => k.toLowerCase() === lower);
      if (found !== undefined) {
        this.resolved.set(key, found);
        return { name: found, value: row[found] };
      }
    }
    return { name: accepted[0]!, value: undefined };
  }
}

/** Trimmed text of a cell; undefined when missing or empty. Numbers and booleans become their text. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    return t.length === 0 ? undefined : t;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

/** A count: a non-negative integer (digits, leading zeros allowed) up to the edge's maximum. */
export function count(v: unknown, max = DEFAULT_MAX_COUNT): number | undefined | Bad {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\+?\d{1,16}$/.test(v.trim())) n = Number(v.trim());
  else return new Bad(`must be a non-negative integer, got ${show(v)}`);
  if (!Number.isSafeInteger(n) || n < 0) return new Bad(`must be a non-negative integer, got ${show(v)}`);
  if (n > max) return new Bad(`must not exceed ${max}, got ${n}`);
  return n;
}

/** A finite decimal number; undefined when missing. */
export function decimal(v: unknown): number | undefined | Bad {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : new Bad(`must be a number, got ${show(v)}`);
}

/** A location from two cells: both or neither; within range. */
export function location(latV: unknown, lngV: unknown): { lat: number; lng: number } | undefined | Bad {
  const lat = decimal(latV);
  const lng = decimal(lngV);
  if (lat instanceof Bad) return new Bad(`latitude ${lat.reason}`);
  if (lng instanceof Bad) return new Bad(`longitude ${lng.reason}`);
  if (lat === undefined && lng === undefined) return undefined;
  if (lat === undefined || lng === undefined) return new Bad('latitude and longitude must be given together');
  if (lat < -90 || lat > 90) return new Bad(`latitude must be between -90 and 90, got ${lat}`);
  if (lng < -180 || lng > 180) return new Bad(`longitude must be between -180 and 180, got ${lng}`);
  return { lat, lng };
}

/** A duration as seconds (number or digits) or `[H]H:MM:SS`; returns milliseconds. */
export function duration(v: unknown): number | undefined | Bad {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  if (typeof v === 'number')
    return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : new Bad(`must be a non-negative duration, got ${v}`);
  if (typeof v !== 'string') return new Bad(`must be seconds or HH:MM:SS, got ${show(v)}`);
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const m = /^(\d+):([0-5]\d):([0-5]\d)$/.exec(t);
  if (m === null) return new Bad(`must be seconds or HH:MM:SS, got ${show(v)}`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
}

/** Optional text of at most `max` characters (a vendor record id, a card id): cut ids would merge distinct ones, so longer is Bad. */
export function boundedText(v: unknown, max: number): string | undefined | Bad {
  const t = text(v);
  return t !== undefined && t.length > max ? new Bad(`must be at most ${max} characters, got ${t.length}`) : t;
}

export const ID_PATTERN = /^[A-Za-z0-9._:/-]+$/;

/** A sensor or station id as the edge accepts it (1–128 of `A-Za-z0-9._:/-`). */
export function edgeId(v: string): string | Bad {
  if (v.length > 128) return new Bad(`must be at most 128 characters, got ${v.length}`);
  if (!ID_PATTERN.test(v)) return new Bad(`must contain only letters, digits and . _ : / - (got ${show(v)})`);
  return v;
}

/** Normalises a MAC address (aa:bb:cc:dd:ee:ff, AA-BB-…, aabb.ccdd.eeff, aabbccddeeff) to lower case with colons. */
export function normaliseMac(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const hex = v.trim().toLowerCase().replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

export function show(v: unknown): string {
  const s = v === undefined ? 'nothing' : (JSON.stringify(v) ?? typeof v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
