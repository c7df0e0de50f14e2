import { Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

/**
 * The service that a CLI package puts in the application it creates to run one command.
 * Looked up only when that package is already loaded: a web process never loads a CLI package
 * for this check.
 */
const CLI_RUNNERS: Array<{ packageName: string; service: string }> = [{ packageName: 'nest-commander', service: 'CommandRunnerService' }];

/**
 * True when this application was created to run one CLI command (nest-commander's
 * CommandFactory.run / runWithoutClosing): such a process must not start the app's cron timers,
 * even when it imports the same AppModule as the long-running app.
 */
export function createdForACommand(moduleRef: ModuleRef): boolean {
  for (const { packageName, service } of CLI_RUNNERS) {
    const runner = loadedExport(packageName, service);
    if (!runner) continue;
    try {
      moduleRef.get(runner, { strict: false });
      return true;
    } catch {
      /* the package is loaded, but this application was not made by its runner */
    }
  }
  return false;
}

function loadedExport(packageName: string, name: string): Type | undefined {
  let resolved: string;
  try {
    resolved = require.resolve(packageName);
  } catch {
    return undefined;
  }
  const loaded = require.cache[resolved];
  return loaded ? (loaded.exports as Record<string, Type | undefined>)[name] : undefined;
}
