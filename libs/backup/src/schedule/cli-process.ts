import * as path from 'node:path';
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
 * CommandFactory.run / runWithoutClosing; nestjs-command's bin, or its CommandService.exec once
 * called): such a process must not start the app's cron timers, even when it imports the same
 * AppModule as the long-running app.
 */
export function createdForACommand(moduleRef: ModuleRef): boolean {
  if (markedForACommand || startedByNestjsCommandBin()) return true;
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

/**
 * nestjs-command: the web app usually imports CommandModule too, so its CommandService being in
 * the app says nothing. What does: `npx nestjs-command` (its bin is the main module) or the
 * entry calling `CommandService.exec()`, which watchForACommand wraps to mark the process. An
 * app holding CommandService waits one event-loop turn after bootstrap for that call before
 * starting timers (nestjs-command's entries call exec() as soon as the app is created).
 */
let markedForACommand = false;

const MARKS = Symbol('nest-backup marks exec');

/**
 * True when the app holds nestjs-command's CommandService, whose exec() then marks this process
 * as a command's (whatever module registered the commands: the library's bridge or the host's).
 */
export function watchForACommand(moduleRef: ModuleRef): boolean {
  const type = loadedExport('nestjs-command', 'CommandService');
  if (!type) return false;
  let service: { exec: (...args: unknown[]) => unknown; [MARKS]?: true };
  try {
    service = moduleRef.get(type, { strict: false });
  } catch {
    return false;
  }
  if (!service[MARKS]) {
    const exec = service.exec.bind(service);
    service.exec = (...args: unknown[]) => {
      markedForACommand = true;
      return exec(...args);
    };
    service[MARKS] = true;
  }
  return true;
}

function startedByNestjsCommandBin(): boolean {
  const main = require.main?.filename ?? '';
  return main.endsWith(path.join('nestjs-command', 'bin', 'cli'));
}
