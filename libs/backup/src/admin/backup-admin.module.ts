import { Controller, DynamicModule, Module, UseGuards, UseInterceptors } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ADMIN_ACCESS, ADMIN_JOB_QUEUE, ADMIN_OPTIONS, DEFAULT_ADMIN_PATH } from './admin.constants';
import type { BackupAdminOptions } from './admin.options';
import { AdminJobRunner } from './jobs/admin-job.runner';
import { InProcessJobQueue } from './jobs/in-process.job-queue';
import { BullMqJobQueue } from './jobs/bullmq.job-queue';
import { QueueJobProcessor } from './jobs/queue-job.processor';
import { BackupQueue } from '../queue/backup.queue';

/**
 * The backup admin HTTP API, its dashboard and its OpenAPI document, under a path the host
 * chooses. Opt-in: import it in the web app's module beside BackupModule (which it reads its
 * services from). It does not start without BACKUP_ADMIN_TOKEN (32+ characters) unless the
 * host passes its own guard.
 *
 * @example
 * @Module({ imports: [BackupModule.forRootAsync({ ... }), BackupAdminModule.register({ path: 'admin/backups' })] })
 * export class AppModule {}
 */
@Module({})
export class BackupAdminModule {
  static register(options: BackupAdminOptions = {}): DynamicModule {
    const path = (options.path ?? DEFAULT_ADMIN_PATH).replace(/^\/+|\/+$/g, '');
    // The HTTP side is loaded here, not at the top: the main entry point exports this module, so
    // every process that imports the library (each CLI command) would load what it never serves.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { adminAccessFactory } = require('./admin-access') as typeof import('./admin-access');
    const { AdminAccessGuard } = require('./admin-access.guard') as typeof import('./admin-access.guard');
    const { AdminApiController } = require('./admin-api.controller') as typeof import('./admin-api.controller');
    const { AdminQueries } = require('./admin.queries') as typeof import('./admin.queries');
    const { AdminResponseInterceptor } = require('./admin-response.interceptor') as typeof import('./admin-response.interceptor');
    const { DashboardController } = require('./dashboard/dashboard.controller') as typeof import('./dashboard/dashboard.controller');
    const { QueueWorkerStarter } = require('./jobs/queue-worker.starter') as typeof import('./jobs/queue-worker.starter');
    /* eslint-enable @typescript-eslint/no-require-imports */
    // Subclasses decorated here carry the host's path: one per register() call, so the
    // base classes stay free of any route prefix.
    class BackupAdminApiController extends AdminApiController {}
    Controller(path)(BackupAdminApiController);
    UseGuards(AdminAccessGuard)(BackupAdminApiController);
    UseInterceptors(AdminResponseInterceptor)(BackupAdminApiController);
    class BackupAdminDashboardController extends DashboardController {}
    Controller(path)(BackupAdminDashboardController);
    return {
      module: BackupAdminModule,
      imports: options.imports ?? [],
      controllers: [BackupAdminDashboardController, BackupAdminApiController],
      providers: [
        { provide: ADMIN_OPTIONS, useValue: { ...options, path } },
        { provide: ADMIN_ACCESS, inject: [ADMIN_OPTIONS, ModuleRef], useFactory: adminAccessFactory },
        // BACKUP_QUEUE_REDIS_URL set: jobs through BullMQ, and this instance runs a worker.
        {
          provide: ADMIN_JOB_QUEUE,
          inject: [BackupQueue, InProcessJobQueue],
          useFactory: (queue: BackupQueue, inProcess: InProcessJobQueue) => (queue.configured ? new BullMqJobQueue(queue) : inProcess),
        },
        QueueWorkerStarter,
        QueueJobProcessor,
        InProcessJobQueue,
        AdminJobRunner,
        AdminQueries,
        AdminAccessGuard,
        AdminResponseInterceptor,
      ],
      exports: [ADMIN_JOB_QUEUE, AdminJobRunner],
    };
  }
}
