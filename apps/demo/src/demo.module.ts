import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BackupModule, backupOptionsFromConfig } from 'nest-backup';
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
  ],
  controllers: [TenantsController],
})
export class DemoModule {}
