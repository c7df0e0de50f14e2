/** One database server of the restore bench: its data shapes and its shell baseline. */
export type RestoreShape = string;

export interface RestoreEngine {
  name: 'postgres' | 'mariadb';
  shapes: RestoreShape[];
  /** Creates the shape's database once (kept between bench runs); returns its name and the CLI's DB_URL. */
  ensure(shape: RestoreShape, log: (m: string) => void): Promise<{ database: string; dbUrl: string }>;
  /** [command, args, extra env] writing the plain dump of `database`, gzip -6, to `gz` (untimed). */
  shellDump(database: string, gz: string): [string, string[], NodeJS.ProcessEnv];
  /** [command, args, extra env] of the baseline: the gzip'ed dump loaded into the existing `target`. */
  shellRestore(gz: string, target: string): [string, string[], NodeJS.ProcessEnv];
  shellTitle: string;
  create(name: string): Promise<void>;
  drop(name: string): Promise<void>;
  /** A small live database for the swap run to replace. */
  seedSmall(name: string): Promise<void>;
  /** Untimed between runs: the server writes back what the previous run left dirty. */
  settle(): Promise<void>;
}
