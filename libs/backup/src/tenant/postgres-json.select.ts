import { LiveColumn } from './sql.session';

/**
 * How PostgreSQL itself writes one column the way encodeValue (tenant-data.codec.ts) writes what
 * the `pg` driver returned for it, keyed by information_schema's data_type. A type missing here
 * has no server-side encoding, and its table is exported row by row through the driver.
 * - numbers and booleans: JSON scalars (NaN and ±Infinity come out as strings, as in encodeValue);
 * - bigint and numeric: strings (the session reads them as text: no precision is lost);
 * - dates and times: the server's own text, as the session reads them;
 * - character types keep their padding (to_json uses the type's output, as the driver does);
 * - user-defined types (enums, citext, domains over them): their text;
 * - json/jsonb: `{"$json": …}`; bytea: `{"$base64": …}` without the line breaks encode() adds.
 */
const ENCODERS: Record<string, (x: string) => string> = {
  smallint: (x) => `to_json(${x})`,
  integer: (x) => `to_json(${x})`,
  real: (x) => `to_json(${x})`,
  'double precision': (x) => `to_json(${x})`,
  boolean: (x) => `to_json(${x})`,
  bigint: (x) => `to_json(${x}::text)`,
  numeric: (x) => `to_json(${x}::text)`,
  date: (x) => `to_json(${x}::text)`,
  'timestamp without time zone': (x) => `to_json(${x}::text)`,
  'timestamp with time zone': (x) => `to_json(${x}::text)`,
  'time without time zone': (x) => `to_json(${x}::text)`,
  'time with time zone': (x) => `to_json(${x}::text)`,
  text: (x) => `to_json(${x})`,
  'character varying': (x) => `to_json(${x})`,
  character: (x) => `to_json(${x})`,
  uuid: (x) => `to_json(${x})`,
  'USER-DEFINED': (x) => `to_json(${x}::text)`,
  json: (x) => `CASE WHEN ${x} IS NULL THEN NULL ELSE json_build_object('$json', ${x}) END`,
  jsonb: (x) => `CASE WHEN ${x} IS NULL THEN NULL ELSE json_build_object('$json', ${x}) END`,
  bytea: (x) => `CASE WHEN ${x} IS NULL THEN NULL ELSE json_build_object('$base64', translate(encode(${x}, 'base64'), E'\\n', '')) END`,
};

/**
 * A SELECT that returns one JSON object per row of `table` (its `columns`, in order, under their
 * own names) where `condition` holds, or undefined when a column's type is not in ENCODERS.
 * `condition` is written against the table's own (quoted) name, as tenantCondition writes it.
 */
export function jsonRowsSelect(table: string, columns: LiveColumn[], condition: string, quote: (name: string) => string): string | undefined {
  const fields: string[] = [];
  for (const c of columns) {
    const encode = ENCODERS[c.dataType];
    if (!encode) return undefined;
    fields.push(`${encode(`${quote(table)}.${quote(c.name)}`)} AS ${quote(c.name)}`);
  }
  return `SELECT row_to_json(nb_row)::text FROM (SELECT ${fields.join(', ')} FROM ${quote(table)} WHERE ${condition}) nb_row`;
}
