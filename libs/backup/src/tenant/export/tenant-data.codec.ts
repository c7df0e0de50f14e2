import { DatabaseDriver } from '../../sources/connection-info';
import { LiveColumn } from '../sessions/sql.session';

/**
 * Row values as JSON, the same for every driver: JSON scalars stay as they are, bytes become
 * `{"$base64": …}`, structured values (JSON columns, arrays) `{"$json": …}`, integers beyond
 * 2^53 strings. Dates arrive as the database's own text (the sessions ask for that).
 */
export function encodeValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $base64: Buffer.from(v).toString('base64') };
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'object') return { $json: v };
  return v;
}

/** One row as a JSON Lines line. */
export function encodeRow(row: Record<string, unknown>, columns: string[]): string {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = encodeValue(row[c]);
  return JSON.stringify(out) + '\n';
}

/** A saved value as a bind parameter for `driver`'s column. */
export function decodeValue(v: unknown, driver: DatabaseDriver, column: LiveColumn | undefined): unknown {
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.$base64 === 'string') return Buffer.from(o.$base64, 'base64');
  if ('$json' in o) {
    if (driver === 'postgres' && Array.isArray(o.$json) && column?.dataType === 'ARRAY') return o.$json;
    return JSON.stringify(o.$json);
  }
  return JSON.stringify(v);
}
