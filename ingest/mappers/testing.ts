// Helpers for the mapper tests (no test framework inside, so this file is harmless in a build):
// run a mapper over inline rows or text, split its outputs by kind, and check every record
// against the edge's own TypeBox schema (schemas/inputs.ts).

import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { INPUT_SCHEMAS, type CameraInput, type TelcoInput, type TicketingInput, type WifiInput } from '../../schemas/inputs.js';
import type { RawSource } from '../../shared/topics.js';
import { mapStream, type InputFormat } from './map-file.js';
import type { MapOutput, Mapper, RecordOutput, RejectOutput } from './types.js';

/** The published datasets (../shared/data/real beside the repository); their tests skip, saying so, where it is absent. */
export const REAL_DATA = fileURLToPath(new URL('../../../shared/data/real', import.meta.url));
export const HAS_REAL_DATA = existsSync(REAL_DATA);
if (!HAS_REAL_DATA) process.stdout.write(`[mappers] ${REAL_DATA} not found: skipping the real-dataset tests\n`);

/** Pushes `rows` as lines 2, 3, … (line 1 being a header), then ends the mapper. */
export function runRows(mapper: Mapper, rows: unknown[]): MapOutput[] {
  const out: MapOutput[] = [];
  rows.forEach((row, i) => out.push(...mapper.push(row, i + 2)));
  out.push(...mapper.end());
  return out;
}

/** Runs `mapper` over `text` in the given format, optionally cut into chunks of `chunk` characters. */
export async function runText(mapper: Mapper, text: string, format: InputFormat, chunk = 0): Promise<MapOutput[]> {
  const parts: string[] = [];
  if (chunk > 0) for (let i = 0; i < text.length; i += chunk) parts.push(text.slice(i, i + chunk));
  else parts.push(text);
  const out: MapOutput[] = [];
  for await (const o of mapStream(mapper, parts, format)) out.push(o);
  return out;
}

interface RecordOf {
  camera: CameraInput;
  wifi: WifiInput;
  telco: TelcoInput;
  ticketing: TicketingInput;
}

export function recordsOf<S extends RawSource>(outs: MapOutput[], source: S): RecordOf[S][] {
  return outs.filter((o): o is RecordOutput => o.kind === 'record' && o.source === source).map((o) => o.record as RecordOf[S]);
}

export function rejectsOf(outs: MapOutput[]): RejectOutput[] {
  return outs.filter((o): o is RejectOutput => o.kind === 'reject');
}

const checks = new Map<RawSource, TypeCheck<TSchema>>();

/** Schema errors of every record output (empty when all are valid edge records). */
export function schemaErrors(outs: Iterable<MapOutput>): string[] {
  const errors: string[] = [];
  for (const o of outs) {
    if (o.kind !== 'record') continue;
    let check = checks.get(o.source);
    if (check === undefined) {
      check = TypeCompiler.Compile(INPUT_SCHEMAS[o.source]);
      checks.set(o.source, check);
    }
    if (!check.Check(o.record)) {
      const e = check.Errors(o.record).First();
      errors.push(`${JSON.stringify(o.record)}: ${e?.path ?? ''} ${e?.message ?? ''}`);
      if (errors.length >= 5) break;
    }
  }
  return errors;
}

export function instant(iso: string | number): number {
  return typeof iso === 'number' ? iso : Date.parse(iso);
}

/** The error `fn` throws; fails loudly when it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}
