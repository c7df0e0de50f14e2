import { BackupError } from '../common/backup.error';

/** Where `backup:tenant-export` and `backup:tenant-restore` read an export's own password. */
export const EXPORT_PASSWORD_ENV = 'BACKUP_TENANT_EXPORT_PASSWORD';

export interface ExportPasswordFlags {
  /** `--password` alone: ask on the terminal; a value (`--password x`) is refused. */
  password?: string | boolean;
  passwordEnv?: string;
}

/**
 * The export's own password, if any; 32+ characters like the archive password. It never comes
 * from the command line (visible to every user in `ps`, kept in the shell history): it comes
 * from BACKUP_TENANT_EXPORT_PASSWORD, from the variable named by `--password-env`, or from a
 * hidden prompt on the terminal (`--password` alone).
 */
export async function exportPassword(
  flags: ExportPasswordFlags,
  env: NodeJS.ProcessEnv = process.env,
  ask: (question: string) => Promise<string> = askHidden,
): Promise<string | undefined> {
  if (typeof flags.password === 'string') {
    throw new BackupError(
      '--password takes no value: a password on the command line is visible to every user in ps and stays in the shell history',
      `Set ${EXPORT_PASSWORD_ENV} (or name another variable with --password-env VAR), or give --password alone to be asked for it on the terminal.`,
    );
  }
  if (flags.password && flags.passwordEnv) throw new BackupError('Both --password and --password-env were given', 'Pass one of them.');
  let password: string | undefined;
  if (flags.password) {
    if (!process.stdin.isTTY) {
      throw new BackupError(
        '--password asks on the terminal, but there is none',
        `Set ${EXPORT_PASSWORD_ENV} (or --password-env VAR) instead.`,
      );
    }
    password = await ask('Export password: ');
  } else if (flags.passwordEnv) {
    password = env[flags.passwordEnv];
    if (!password)
      throw new BackupError(`The environment variable ${flags.passwordEnv} named by --password-env is empty or unset`, 'Export it first.');
  } else password = env[EXPORT_PASSWORD_ENV] || undefined;
  if (password !== undefined && password.length < 32) {
    throw new BackupError('The export password is shorter than 32 characters', 'Use a longer one (a random 32+ character string).');
  }
  return password;
}

/** Reads a line from the terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new BackupError('Cancelled at the password prompt', 'Nothing was exported.'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}
