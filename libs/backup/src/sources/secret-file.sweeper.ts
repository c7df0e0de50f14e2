import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { removeStaleSecretFiles } from './secret-file';

/**
 * Removes, when the module starts (any CLI command, the app), the 0600 password files a killed
 * run left in the temp folder, and says so on the log. Their names only are logged.
 */
@Injectable()
export class SecretFileSweeper implements OnModuleInit {
  private readonly logger = new Logger('Backup');

  async onModuleInit(): Promise<void> {
    const removed = await removeStaleSecretFiles().catch(() => []);
    if (removed.length) this.logger.log(`Removed ${removed.length} password file folder(s) left by killed runs: ${removed.join(', ')}`);
  }
}
