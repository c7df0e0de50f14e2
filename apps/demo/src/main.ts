import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DemoModule } from './demo.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(DemoModule);
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`Demo SaaS listening on http://127.0.0.1:${port}/tenants\n`);
}

bootstrap().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
