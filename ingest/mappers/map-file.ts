// Runs a mapper over a file or stream without holding it in memory: CSV (csv-parse, header row),
// NDJSON (one JSON value per line) or a JSON array (split element by element). Reads the input
// once; yields MapOutputs in input order, parse errors as rejects, then whatever end() flushes.

import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, pipeline } from 'node:stream';
import { errorMessage } from '../../shared/errors.js';
import type { MapOutput, Mapper, RejectOutput } from './types.js';
import { reject } from './types.js';

export type InputFormat = 'csv' | 'ndjson' | 'json';
export const INPUT_FORMATS: readonly InputFormat[] = ['csv', 'ndjson', 'json'];

export type RowItem = { kind: 'row'; row: unknown; line: number } | RejectOutput;

export interface ReadOptions {
  /** CSV field delimiter (default `,`). */
  delimiter?: string;
}

type Input = Readable | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** Runs `mapper` over the file at `path`. I/O errors (a missing file) throw; bad rows become rejects. */
export async function* mapFile(mapper: Mapper, path: string, format: InputFormat, opts: ReadOptions = {}): AsyncGenerator<MapOutput> {
  yield* mapStream(mapper, createReadStream(path), format, opts);
}

/** Runs `mapper` over a stream or iterable of text/bytes (an HTTP body, a test string). */
export async function* mapStream(mapper: Mapper, input: Input, format: InputFormat, opts: ReadOptions = {}): AsyncGenerator<MapOutput> {
  for await (const item of readRows(input, format, opts)) {
    if (item.kind === 'row') yield* mapper.push(item.row, item.line);
    else yield item;
  }
  yield* mapper.end();
}

/** The rows of an input, each with its 1-based line, or a reject where the input does not parse. */
export function readRows(input: Input, format: InputFormat, opts: ReadOptions = {}): AsyncGenerator<RowItem> {
  switch (format) {
    case 'csv':
      return csvRows(input, opts);
    case 'ndjson':
      return ndjsonRows(input);
    case 'json':
      return jsonRows(input);
  }
}

async function* textChunks(input: Input): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    if (typeof chunk === 'string') yield chunk;
    else {
      const s = decoder.decode(chunk, { stream: true });
      if (s.length > 0) yield s;
    }
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

interface CsvRecord {
  record: Record<string, string>;
  info: { lines: number };
}

async function* csvRows(input: Input, opts: ReadOptions): AsyncGenerator<RowItem> {
  // A malformed record is skipped by csv-parse and reported through on_skip while parsing runs
  // ahead of this loop; holding those reports and releasing them by line keeps the order of
  // outputs the order of the file.
  const skipped: RejectOutput[] = [];
  const parser = parse({
    columns: true,
    bom: true,
    trim: true,
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
    on_skip: (err) => {
      const lines = typeof err?.lines === 'number' ? err.lines : 0;
      skipped.push(reject(lines, 'csv', err === undefined ? 'unreadable CSV record' : err.message));
      return undefined;
    },
  });
  pipeline(Readable.from(textChunks(input)), parser, () => {
    // Errors reach the loop below through the parser; nothing to do here.
  });
  for await (const item of parser as AsyncIterable<CsvRecord>) {
    const line = item.info.lines;
    while (skipped.length > 0 && skipped[0]!.line < line) yield skipped.shift()!;
    yield { kind: 'row', row: item.record, line };
  }
  yield* skipped.splice(0);
}

async function* ndjsonRows(input: Input): AsyncGenerator<RowItem> {
  const lines = createInterface({ input: Readable.from(textChunks(input)), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim().length === 0) continue;
    yield parseItem(line, n);
  }
}

function parseItem(text: string, line: number): RowItem {
  try {
    return { kind: 'row', row: JSON.parse(text) as unknown, line };
  } catch (err) {
    return reject(line, 'json', `not valid JSON: ${errorMessage(err)}`);
  }
}

async function* jsonRows(input: Input): AsyncGenerator<RowItem> {
  const splitter = new JsonArraySplitter();
  for await (const chunk of textChunks(input)) yield* splitter.push(chunk);
  yield* splitter.end();
}

const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * Splits a top-level JSON array into its elements as text arrives, so a large array is never held
 * whole; each element is parsed on its own (a bad one is a reject, the rest still map). A document
 * that is not an array is one row.
 */
export class JsonArraySplitter {
  private state: 'start' | 'array' | 'single' | 'done' = 'start';
  private line = 1;
  private depth = 0;
  private inString = false;
  private escape = false;
  private buf = '';
  private hasElem = false;
  private elemLine = 0;
  private afterComma = false;
  private single = '';
  private singleLine = 0;
  private trailingReported = false;

  *push(chunk: string): Generator<RowItem> {
    if (this.state === 'single') {
      this.single += chunk;
      return;
    }
    let seg = this.hasElem ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.state === 'start') {
        if (c === 0xfeff || isWs(c)) {
          if (c === 10) this.line++;
          continue;
        }
        if (c === 91) {
          this.state = 'array';
          continue;
        }
        this.state = 'single';
        this.singleLine = this.line;
        this.single = chunk.slice(i);
        return;
      }
      if (c === 10) this.line++;
      if (this.state === 'done') {
        if (!isWs(c) && !this.trailingReported) {
          this.trailingReported = true;
          yield reject(this.line, 'json', 'unexpected text after the closing ] of the array');
        }
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92) this.escape = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (this.depth > 0) {
        if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) this.depth++;
        else if (c === 125 || c === 93) this.depth--;
        continue;
      }
      if (c === 44 || c === 93) {
        if (this.hasElem) {
          yield parseItem(this.buf + chunk.slice(seg, i), this.elemLine);
          this.buf = '';
          this.hasElem = false;
          seg = -1;
        } else if (c === 44 || this.afterComma) {
          yield reject(this.line, 'json', 'empty element in the JSON array');
        }
        this.afterComma = c === 44;
        if (c === 93) this.state = 'done';
        continue;
      }
      if (isWs(c)) continue;
      if (!this.hasElem) {
        this.hasElem = true;
        this.elemLine = this.line;
        seg = i;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
    }
    if (this.hasElem) this.buf += chunk.slice(seg);
  }

  *end(): Generator<RowItem> {
    if (this.state === 'single') {
      if (this.single.trim().length > 0) yield parseItem(this.single, this.singleLine);
      return;
    }
    if (this.state !== 'array') return;
    if (this.hasElem && this.depth === 0 && !this.inString) yield parseItem(this.buf, this.elemLine);
    yield reject(this.line, 'json', 'the input ended before the closing ] of the JSON array');
  }
}
