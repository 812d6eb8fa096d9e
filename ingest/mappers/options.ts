// Mapper options: TypeBox schemas checked up front (unknown keys refused, messages that say what to
// fix), the shared pieces (column names, zone, side files) and side-file loading. Reads side files
// (small CSVs: sensor, station, facility lists) once, when a mapper is created; writes nothing.

import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { PassageError, type FieldError, errorMessage } from '../../shared/errors.js';
import { asRow, type Row } from './fields.js';
import { isValidZone } from './local-time.js';

/** One accepted column name or a list tried in order (exact match first, then ignoring case). */
export const ColumnName = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]);

/** `{ key?: ColumnName }` for each logical column a mapper reads. */
export function columnsOption<K extends string>(keys: readonly K[]): TObject {
  const props: Record<string, TSchema> = {};
  for (const k of keys) props[k] = Type.Optional(ColumnName);
  return Type.Object(props, { additionalProperties: false, description: 'Input column names, overriding the defaults' });
}

/** A side file: a CSV path, or rows already parsed (objects keyed by header). */
export const SideTable = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.Record(Type.String(), Type.Unknown()))]);
export type SideTable = Static<typeof SideTable>;

/** A side-file option with its own description. */
export function sideTable(description: string): typeof SideTable {
  return Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.Record(Type.String(), Type.Unknown()))], { description });
}

/** Sensor/station id prefixes must keep ids within what the edge accepts. */
export const ID_PREFIX = '^[A-Za-z0-9._:/-]*$';

export const Zone = Type.String({ minLength: 1, description: 'IANA time zone of times written without an offset, e.g. Europe/Copenhagen' });

export const Unlocated = Type.Union([Type.Literal('keep'), Type.Literal('reject')], {
  description:
    'Records whose sensor has no known location: keep them without lat/lng (the sensor must be registered already) or reject them',
});
export type Unlocated = Static<typeof Unlocated>;

export function optionsError(mapper: string, fields: FieldError[]): PassageError {
  const detail = fields.map((f) => `${f.field}: ${f.reason}`).join('; ');
  return new PassageError('invalid_mapper_options', `invalid options for mapper ${mapper}: ${detail}`, { status: 400, fields });
}

/** Validates `opts` against `schema` (unknown keys refused) and checks every `zone`-like option names a real zone. */
export function checkOptions<T extends TSchema>(mapper: string, schema: T, opts: unknown): Static<T> {
  const value = opts ?? {};
  const fields: FieldError[] = [];
  for (const e of Value.Errors(schema, value)) {
    const field = e.path.replace(/^\//, '').replace(/\//g, '.') || 'options';
    if (!fields.some((f) => f.field === field)) fields.push({ field, reason: e.message.charAt(0).toLowerCase() + e.message.slice(1) });
    if (fields.length >= 10) break;
  }
  if (fields.length === 0) {
    const zone = (value as { zone?: unknown }).zone;
    if (typeof zone === 'string' && !isValidZone(zone))
      fields.push({ field: 'zone', reason: `unknown IANA time zone ${JSON.stringify(zone)}` });
  }
  if (fields.length > 0) throw optionsError(mapper, fields);
  return value;
}

/** The rows of a side file: parsed from a CSV path (BOM and surrounding spaces removed) or taken as given. */
export function loadTable(mapper: string, option: string, table: SideTable): Row[] {
  if (typeof table !== 'string') {
    const rows: Row[] = [];
    for (const r of table) {
      const row = asRow(r);
      if (row !== null) rows.push(row);
    }
    return rows;
  }
  let text: string;
  try {
    text = readFileSync(table, 'utf8');
  } catch (err) {
    throw optionsError(mapper, [{ field: option, reason: `cannot read ${table}: ${errorMessage(err)}` }]);
  }
  try {
    return parse<Row>(text, { columns: true, bom: true, trim: true, skip_empty_lines: true, relax_column_count: true });
  } catch (err) {
    throw optionsError(mapper, [{ field: option, reason: `${table} is not a readable CSV file: ${errorMessage(err)}` }]);
  }
}
