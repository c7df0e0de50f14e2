import { BackupError } from '../common/backup.error';
import type { RestoreDebrisScope } from './debris';

/** Where a restore is, so an interrupted one can say what state the live data is in. */
export type RestorePhase = 'idle' | 'checking' | 'staging' | 'swapping' | 'files' | 'done';

/**
 * The state of the restore running in this process, updated by RestoreService as it goes and
 * read by the CLI when SIGTERM/SIGINT arrives.
 */
export class RestoreProgress {
  phase: RestorePhase = 'idle';
  /** Live databases already replaced by the restored copy. */
  readonly replaced: string[] = [];
  /** The database whose swap is under way. */
  swapping?: string;
  safetyBackup?: string;
  /** What a clean-up after an interruption looks at (set once the restore is planned). */
  debris?: RestoreDebrisScope;
  /** Set by a signal handler: the restore stops before its next live change. */
  stopped?: string;

  /** Called before each live change: an interrupted restore changes nothing more. */
  throwIfStopped(): void {
    if (this.stopped) throw new BackupError(`The restore was interrupted by ${this.stopped}`, 'Run it again.');
  }

  /** One sentence: what is live now, for the "interrupted" message and the audit record. */
  describe(): string {
    const safety = this.safetyBackup ? ` The state before the restore is in the safety backup ${this.safetyBackup}.` : '';
    const replaced = this.replaced.length ? `already restored: ${this.replaced.map((d) => `"${d}"`).join(', ')}; ` : '';
    switch (this.phase) {
      case 'idle':
      case 'checking':
      case 'staging':
        return 'nothing live was changed (staging copies and temporary files are removed).' + safety;
      case 'swapping':
        return (
          `${replaced}"${this.swapping}" was being swapped in (one transaction or one rename: it is either the restored copy or as it was); every other database is as it was.` +
          safety
        );
      case 'files':
        return (
          `${replaced}files were being written: each file is either its old or its restored version, some files may not be restored yet.` +
          safety
        );
      case 'done':
        return `${replaced}the restore had finished.` + safety;
    }
  }
}
