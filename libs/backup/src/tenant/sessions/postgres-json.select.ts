import { LiveColumn } from './sql.session';

/**
 * How PostgreSQL itself writes one column the way encodeValue (tenant-data.codec.ts) writes what
 * the `pg` driver returned for it, keyed by information_schema's data_type. A type missing here
 * has no server-side encoding, and its table is exported row by row through the driver.
 * - row_to_json writes each column as to_json would, so columns go in as they are (AS_IS) or as
 *   text (AS_TEXT, a JSON string); wrapping each in to_json costs the server a json value per
 *   field (measured: 32 ms against 22 ms for 20,000 rows of four columns);
 * - numbers and booleans: JSON scalars (NaN and ±Infinity come out as strings, as in encodeValue);
 * - bigint and numeric: strings (the session reads them as text: no precision is lost);
 * - dates and times: the server's own text, as the session reads them;
 * - character types keep their padding (to_json uses the type's output, as the driver does);
 * - user-defined types (enums, citext, domains over them): their text;
 * - json/jsonb: `{"$json": …}`; bytea: `{"$base64": …}` without the line breaks encode() adds.
 */
const AS_IS = (x: string): string => x;
const AS_TEXT = (x: string): string => `${x}::text`;
const ENCODERS: Record<string, (x: string) => string> = {
  smallint: AS_IS,
  integer: AS_IS,
  real: AS_IS,
  'double precision': AS_IS,
  boolean: AS_IS,
  bigint: AS_TEXT,
  numeric: AS_TEXT,
  date: AS_TEXT,
  'timestamp without time zone': AS_TEXT,
  'timestamp with time zone': AS_TEXT,
  'time without time zone': AS_TEXT,
  'time with time zone': AS_TEXT,
  text: AS_IS,
  'character varying': AS_IS,
  character: AS_IS,
  uuid: AS_IS,
  'USER-DEFINED': AS_TEXT,
  json: (x) => `CASE WHEN ${x} IS NULL THEN NULL ELSE json_build_object('$json', ${x}) END`,
  jsonb: (x) => `CASE WHEN ${x} IS NULL THEN NULL ELSE json_build_object('$json', ${x}) END`,
  bytea: (x) => `CASE WHEN ${x} IS NULL THEN NULL ELSE json_build_object('$base64', translate(encode(${x}, 'base64'), E'\\n', '')) END`,
};

/**
 * A SELECT that returns one JSON object per row of `table` (its `columns`, in order, under their
 * own names) where `condition` holds, or undefined when a column's type is not in ENCODERS.
 * `condition` is written against the table's own (quoted) name, as tenantCondition writes it.
 */
export function jsonRowsSelect(
  table: string,
  columns: LiveColumn[],
  condition: string,
  quote: (name: string) => string,
): string | undefined {
  const fields: string[] = [];
  for (const c of columns) {
    const encode = ENCODERS[c.dataType];
    if (!encode) return undefined;
    fields.push(`${encode(`${quote(table)}.${quote(c.name)}`)} AS ${quote(c.name)}`);
  }
  return `SELECT row_to_json(nb_row)::text FROM (SELECT ${fields.join(', ')} FROM ${quote(table)} WHERE ${condition}) nb_row`;
}
