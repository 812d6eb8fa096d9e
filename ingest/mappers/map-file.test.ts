// The file runner: CSV (BOM, CRLF, padding, malformed records reported in line order), NDJSON and
// streamed JSON arrays (elements split across chunks, bad elements rejected, the rest kept), and
// that mapFile ends the mapper. The JSON splitter is checked against JSON.parse on random arrays.

import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapFile, readRows, type InputFormat, type RowItem } from './map-file.js';
import type { MapOutput, Mapper } from './types.js';

async function rows(text: string | string[], format: InputFormat): Promise<RowItem[]> {
  const out: RowItem[] = [];
  for await (const r of readRows(typeof text === 'string' ? [text] : text, format)) out.push(r);
  return out;
}

function chunks(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

describe('CSV', () => {
  it('reads a header row with BOM, CRLF and trailing-space padding; lines are 1-based file lines', async () => {
    const text = '\uFEFFC/A,UNIT,ENTRIES   \r\nA002,R051,0006224816   \r\n\r\nA003,"R0,52",12\r\n';
    expect(await rows(text, 'csv')).toEqual([
      { kind: 'row', row: { 'C/A': 'A002', UNIT: 'R051', ENTRIES: '0006224816' }, line: 2 },
      { kind: 'row', row: { 'C/A': 'A003', UNIT: 'R0,52', ENTRIES: '12' }, line: 4 },
    ]);
  });

  it('reports a record with the wrong number of fields as a reject at its line, in file order, and keeps going', async () => {
    const text = 'a,b\n1,2\n3\n4,5,6\n7,8\n';
    const got = await rows(chunks(text, 3), 'csv');
    expect(got.map((r) => (r.kind === 'row' ? `row@${r.line}` : `reject@${r.line}:${r.field}`))).toEqual([
      'row@2',
      'reject@3:csv',
      'reject@4:csv',
      'row@5',
    ]);
  });

  it('takes a delimiter', async () => {
    const out: RowItem[] = [];
    for await (const r of readRows(['a;b\n1;2\n'], 'csv', { delimiter: ';' })) out.push(r);
    expect(out).toEqual([{ kind: 'row', row: { a: '1', b: '2' }, line: 2 }]);
  });
});

describe('NDJSON', () => {
  it('one value per line; blank lines skipped; a bad line is a reject with its line number', async () => {
    const text = '{"a":1}\r\n\n[1,2]\n{oops\n"x"\n';
    expect(await rows(chunks(text, 4), 'ndjson')).toEqual([
      { kind: 'row', row: { a: 1 }, line: 1 },
      { kind: 'row', row: [1, 2], line: 3 },
      expect.objectContaining({ kind: 'reject', line: 4, field: 'json' }),
      { kind: 'row', row: 'x', line: 5 },
    ]);
  });
});

describe('JSON', () => {
  it('splits a top-level array into its elements, with the line each starts on, across any chunking', async () => {
    const text = '\uFEFF[\n  {"s": "a ] b, \\" c", "n": [1, {"x": "}"}]},\n  2,\n  "three",\n  null\n]\n';
    const expected = [
      { kind: 'row', row: { s: 'a ] b, " c', n: [1, { x: '}' }] }, line: 2 },
      { kind: 'row', row: 2, line: 3 },
      { kind: 'row', row: 'three', line: 4 },
      { kind: 'row', row: null, line: 5 },
    ];
    for (const size of [1, 2, 7, 1000]) expect(await rows(chunks(text, size), 'json')).toEqual(expected);
  });

  it('a bad element is a reject, the others still come; garbage after ] and a missing ] are reported', async () => {
    const got = await rows('[{"a":1}, {bad}, 3] x', 'json');
    expect(got).toEqual([
      { kind: 'row', row: { a: 1 }, line: 1 },
      expect.objectContaining({ kind: 'reject', field: 'json', line: 1 }),
      { kind: 'row', row: 3, line: 1 },
      { kind: 'reject', line: 1, field: 'json', reason: 'unexpected text after the closing ] of the array' },
    ]);
    const cut = await rows('[1,\n2,\n{"a":', 'json');
    expect(cut).toEqual([
      { kind: 'row', row: 1, line: 1 },
      { kind: 'row', row: 2, line: 2 },
      { kind: 'reject', line: 3, field: 'json', reason: 'the input ended before the closing ] of the JSON array' },
    ]);
    expect((await rows('[1,,2]', 'json')).map((r) => r.kind)).toEqual(['row', 'reject', 'row']);
  });

  it('a document that is not an array is one row (a Meraki payload per file)', async () => {
    expect(await rows(chunks('\n {"version":"2.0",\n "data": {"x": [1]}}\n', 5), 'json')).toEqual([
      { kind: 'row', row: { version: '2.0', data: { x: [1] } }, line: 2 },
    ]);
    expect(await rows('', 'json')).toEqual([]);
  });

  it('gives exactly JSON.parse’s elements for random arrays cut at random places', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.integer({ min: 1, max: 17 }), async (values, size) => {
        const text = JSON.stringify(values, null, size % 3);
        const got = await rows(chunks(text, size), 'json');
        expect(got.map((r) => (r.kind === 'row' ? r.row : r))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('mapFile', () => {
  it('feeds rows to the mapper, passes parse errors through as rejects, then calls end()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-mappers-'));
    const path = join(dir, 'in.csv');
    writeFileSync(path, 'k,v\na,1\nb\nc,3\n');
    const seen: string[] = [];
    const mapper: Mapper = {
      name: 'echo',
      source: 'camera',
      description: 'test double',
      push(row, line) {
        seen.push(`${JSON.stringify(row)}@${line}`);
        return [];
      },
      end: () => [{ kind: 'reject', line: 0, field: 'end', reason: 'flushed' }],
    };
    const out: MapOutput[] = [];
    for await (const o of mapFile(mapper, path, 'csv')) out.push(o);
    expect(seen).toEqual(['{"k":"a","v":"1"}@2', '{"k":"c","v":"3"}@4']);
    expect(out.map((o) => (o.kind === 'reject' ? `${o.field}@${o.line}` : o.kind))).toEqual(['csv@3', 'end@0']);
  });
});
