import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  BackupEvents,
  BackupFailedEvent,
  BackupSucceededEvent,
  CleanupFailedEvent,
  CleanupSucceededEvent,
  HealthyBackupFoundEvent,
  UnhealthyBackupFoundEvent,
} from '../events/backup.events';
import { Notifier, NotifyReport } from './notifier.service';

/**
 * Forwards the six backup events to the Notifier. The handlers return the notify() promise
 * (which never rejects), so a caller that emits with `emitAsync` waits until the channels are
 * done — the CLI does, so a process does not exit before its failure mail is out.
 */
@Injectable()
export class NotificationListener {
  constructor(private readonly notifier: Notifier) {}

  @OnEvent(BackupEvents.BackupSucceeded)
  onBackupSucceeded(event: BackupSucceededEvent): Promise<NotifyReport> {
    return this.notifier.notify(BackupEvents.BackupSucceeded, event);
  }

  @OnEvent(BackupEvents.BackupFailed)
  onBackupFailed(event: BackupFailedEvent): Promise<NotifyReport> {
    return this.notifier.notify(BackupEvents.BackupFailed, event);
  }

  @OnEvent(BackupEvents.CleanupSucceeded)
  onCleanupSucceeded(event: CleanupSucceededEvent): Promise<NotifyReport> {
    return this.notifier.notify(BackupEvents.CleanupSucceeded, event);
  }

  @OnEvent(BackupEvents.CleanupFailed)
  onCleanupFailed(event: CleanupFailedEvent): Promise<NotifyReport> {
    return this.notifier.notify(BackupEvents.CleanupFailed, event);
  }

  @OnEvent(BackupEvents.HealthyBackupFound)
  onHealthyBackupFound(event: HealthyBackupFoundEvent): Promise<NotifyReport> {
    return this.notifier.notify(BackupEvents.HealthyBackupFound, event);
  }

  @OnEvent(BackupEvents.UnhealthyBackupFound)
  onUnhealthyBackupFound(event: UnhealthyBackupFoundEvent): Promise<NotifyReport> {
    return this.notifier.notify(BackupEvents.UnhealthyBackupFound, event);
  }
}
