import { randomBytes } from 'node:crypto';

/** The pair of scratch names one restore uses beside a database `<db>`. */
export interface StagingNames {
  /** `<db>_restore_<8 hex>`: the copy the dump is loaded into. */
  staging: string;
  /** `<db>_old_<8 hex>`: where the replaced database (or its tables) goes during the swap. */
  old: string;
}

/**
 * Names for a staged restore of `database`. The base is cut to 40 characters so both names fit
 * PostgreSQL's 63 and MySQL's 64 character limits; the shared random suffix ties them together.
 */
export function stagingNames(database: string, hex = randomBytes(4).toString('hex')): StagingNames {
  const base = database.slice(0, 40);
  return { staging: `${base}_restore_${hex}`, old: `${base}_old_${hex}` };
}
