import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DemoModule } from './demo.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(DemoModule);
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  // The port actually bound (PORT=0 asks the system for a free one).
  const { port } = app.getHttpServer().address() as { port: number };
  process.stdout.write(`Demo SaaS listening on http://127.0.0.1:${port}/tenants\n`);
  process.stdout.write(
    process.env.BACKUP_ADMIN_TOKEN !== undefined
      ? `Backup dashboard on http://127.0.0.1:${port}/admin/backups (API and /admin/backups/openapi.json beside it)\n`
      : 'Backup admin API not mounted: set BACKUP_ADMIN_TOKEN (32+ characters) to serve it at /admin/backups\n',
  );
}

bootstrap().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
