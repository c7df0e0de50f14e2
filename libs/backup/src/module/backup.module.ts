import { Module } from '@nestjs/common';
import { BACKUP_OPTIONS } from '../backup/backup.constants';
import { BackupService } from '../backup/backup.service';
import { RunCommand } from '../cli/run.command';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './backup.module-definition';
import { ConnectionResolver } from './connection.resolver';
import { DestinationRegistry } from './destination.registry';

const services = [BackupService, DestinationRegistry, ConnectionResolver];
const commands = [RunCommand];

/**
 * Encrypted backups for a NestJS app in one import.
 *
 * @example
 * BackupModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: backupOptionsFromConfig,
 * })
 */
@Module({
  providers: [{ provide: BACKUP_OPTIONS, useExisting: MODULE_OPTIONS_TOKEN }, ...services, ...commands],
  exports: [BACKUP_OPTIONS, ...services],
})
export class BackupModule extends ConfigurableModuleClass {}
