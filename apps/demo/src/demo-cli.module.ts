import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BackupModule, backupOptionsFromConfig } from 'nest-backup';
import { BackupCommandsModule } from 'nest-backup/nest-commander';
import { dataSourceOptionsFromUrl } from './database/data-source.options';
import { SeedCommand } from './seed/seed.command';

/**
 * The demo's CLI: its own TypeORM DataSource (read, not connected, by the backup library),
 * BackupModule configured from the environment — the one import a host adds — and the
 * library's commands for nest-commander (BackupCommandsModule, imported by the CLI only).
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, envFilePath: ['.env'] }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      // manualInitialization: commands connect only when they need to (demo:seed), so a
      // stopped database is reported by the backup itself, not by a bootstrap retry loop.
      useFactory: (config: ConfigService) => ({
        ...dataSourceOptionsFromUrl(config.get<string>('DB_URL')),
        manualInitialization: true,
      }),
    }),
    BackupModule.forRootAsync({
      inject: [ConfigService],
      useFactory: backupOptionsFromConfig,
    }),
    BackupCommandsModule,
  ],
  providers: [SeedCommand],
})
export class DemoCliModule {}
