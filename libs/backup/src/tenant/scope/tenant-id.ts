import { InvalidTenantIdError } from '../tenant.errors';
import { TenantKey } from './tenant.scope';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT32 = 2_147_483_647n;
const INT64 = 9_223_372_036_854_775_807n;

/**
 * Checks a tenant id typed by an operator against the tenant key's type before it reaches any
 * query (where it is a bound parameter anyway), and returns the value to bind. Ids are also
 * used in object keys and file paths, so even string keys are limited to a safe alphabet.
 */
export function parseTenantId(raw: string, key: TenantKey): string | number {
  const id = String(raw ?? '').trim();
  const where = `${key.table}.${key.column} (${key.type})`;
  if (key.type === 'integer' || key.type === 'bigint') {
    if (!/^-?\d{1,20}$/.test(id)) throw invalid(raw, where, 'a whole number');
    const n = BigInt(id);
    const max = key.type === 'integer' ? INT32 : INT64;
    if (n > max || n < -max - 1n) throw invalid(raw, where, `a whole number within ±${max}`);
    return key.type === 'integer' ? Number(n) : id;
  }
  if (key.type === 'uuid') {
    if (!UUID.test(id)) throw invalid(raw, where, 'a UUID such as 3f2a6c1e-8d0b-4b8e-9a57-2f9e1c0d7a11');
    return id.toLowerCase();
  }
  if (key.type === 'string') {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id) || id.includes('..')) throw invalid(raw, where, 'letters, digits, "_", "-" and "."');
    if (key.length !== undefined && id.length > key.length) throw invalid(raw, where, `at most ${key.length} characters`);
    return id;
  }
  throw new InvalidTenantIdError(
    `Tenant keys of type "${key.type}" (${where}) are not supported`,
    'Use an integer, bigint, uuid or string key column.',
  );
}

function invalid(raw: string, where: string, expected: string): InvalidTenantIdError {
  const shown = JSON.stringify(String(raw).length > 60 ? `${String(raw).slice(0, 60)}…` : String(raw));
  return new InvalidTenantIdError(`${shown} is not a valid tenant id for ${where}`, `Pass ${expected}; nothing was read or changed.`);
}
