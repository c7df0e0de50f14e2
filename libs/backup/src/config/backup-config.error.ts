import { BackupError } from '../common/backup.error';

/** Every bad or missing setting, reported at once so one restart fixes them all. */
export class BackupConfigError extends BackupError {
  constructor(readonly problems: string[]) {
    super(
      `Backup configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
      'Fix the environment variables above (see the README, "Configuration") and start again.',
    );
  }
}
