import { ConfigurableModuleBuilder } from '@nestjs/common';
import { BackupModuleOptions } from '../config/backup-options.interface';

/** Extras beside the options: hosts that already import EventEmitterModule.forRoot() say so. */
export interface BackupModuleExtras {
  /** Import EventEmitterModule.forRoot() for the host (default true). */
  registerEventEmitter?: boolean;
  /** Make BackupService & co. injectable everywhere (default true). */
  isGlobal?: boolean;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<BackupModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras<BackupModuleExtras>({ registerEventEmitter: true, isGlobal: true }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      imports: [
        ...(definition.imports ?? []),
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        ...(extras.registerEventEmitter ? [require('@nestjs/event-emitter').EventEmitterModule.forRoot()] : []),
      ],
    }))
    .build();
