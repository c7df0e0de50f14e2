import { randomBytes } from 'node:crypto';

/** The scratch names one restore uses beside a database `<db>`. */
export interface StagingNames {
  /** `<db>_restore_<8 hex>`: the copy the dump is loaded into. */
  staging: string;
  /** `<db>_old_<8 hex>`: where the replaced database (or its tables) is kept (`--keep-old`). */
  old: string;
  /**
   * `<db>_replaced_<8 hex>`: where the replaced database (or its tables) goes when it is not
   * kept. A name of its own, so that the next run can drop what a killed restore left there
   * without ever touching a database an operator asked to keep.
   */
  replaced: string;
  /** The shared suffix; the lock that marks the restore as alive is named after it. */
  hex: string;
}

/** `<base>_(restore|old|replaced)_<8 hex>`: what a staged restore of some database leaves. */
export const STAGING_NAME = /^(.*)_(restore|old|replaced)_([0-9a-f]{8})$/;

/** The first 40 characters of the database name, which every scratch name starts with. */
export const stagingBase = (database: string): string => database.slice(0, 40);

/**
 * Names for a staged restore of `database`. The base is cut to 40 characters so every name fits
 * PostgreSQL's 63 and MySQL's 64 character limits; the shared random suffix ties them together.
 */
export function stagingNames(database: string, hex = randomBytes(4).toString('hex')): StagingNames {
  const base = stagingBase(database);
  return { staging: `${base}_restore_${hex}`, old: `${base}_old_${hex}`, replaced: `${base}_replaced_${hex}`, hex };
}
