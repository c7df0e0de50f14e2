import { Module } from '@nestjs/common';
import { ConditionalModule, ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BackupAdminModule, BackupModule, backupOptionsFromConfig } from 'nest-backup';
import { dataSourceOptionsFromUrl } from './database/data-source.options';
import { TenantsController } from './tenants/tenants.controller';

/** The demo SaaS as a web app: its data plus BackupModule, configured from the environment. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, envFilePath: ['.env'] }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => dataSourceOptionsFromUrl(config.get<string>('DB_URL')),
    }),
    // The web app is the long-running process: it runs the BACKUP_SCHEDULE_* jobs (one instance
    // at a time across replicas, through the database lock); the CLI does not.
    ScheduleModule.forRoot(),
    BackupModule.forRootAsync({ inject: [ConfigService], useFactory: backupOptionsFromConfig, schedule: true }),
    // The admin API and dashboard at /admin/backups when BACKUP_ADMIN_TOKEN is set (in the
    // environment or .env: ConditionalModule waits for ConfigModule to load it). Set but shorter
    // than 32 characters, or empty: the app refuses to start.
    ConditionalModule.registerWhen(BackupAdminModule.register({ path: 'admin/backups' }), (env) => env.BACKUP_ADMIN_TOKEN !== undefined),
  ],
  controllers: [TenantsController],
})
export class DemoModule {}
