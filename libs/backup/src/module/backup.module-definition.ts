import { ConfigurableModuleBuilder } from '@nestjs/common';
import { BackupModuleOptions } from '../config/backup-options.interface';
import { BackupScheduler } from '../schedule/backup.scheduler';

/** Extras beside the options: hosts that already import EventEmitterModule.forRoot() say so. */
export interface BackupModuleExtras {
  /** Import EventEmitterModule.forRoot() for the host (default true). */
  registerEventEmitter?: boolean;
  /** Make BackupService & co. injectable everywhere (default true). */
  isGlobal?: boolean;
  /**
   * Register the cron jobs (BACKUP_SCHEDULE_*) with @nestjs/schedule (default false). The app's
   * module may say so for every process: one started for a CLI command (nest-commander's
   * CommandFactory) never starts the timers.
   */
  schedule?: boolean;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<BackupModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<BackupModuleExtras>({ registerEventEmitter: true, isGlobal: true, schedule: false }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), ...(extras.schedule ? [BackupScheduler] : [])],
      exports: [...(definition.exports ?? []), ...(extras.schedule ? [BackupScheduler] : [])],
      imports: [
        ...(definition.imports ?? []),
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        ...(extras.registerEventEmitter ? [require('@nestjs/event-emitter').EventEmitterModule.forRoot()] : []),
      ],
    }))
    .build();
