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
  BackupEventMeta,
  BackupEventName,
  BackupEventPayloads,
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
  onBackupSucceeded(event: BackupSucceededEvent, meta?: BackupEventMeta): Promise<NotifyReport> {
    return this.forward(BackupEvents.BackupSucceeded, event, meta);
  }

  @OnEvent(BackupEvents.BackupFailed)
  onBackupFailed(event: BackupFailedEvent, meta?: BackupEventMeta): Promise<NotifyReport> {
    return this.forward(BackupEvents.BackupFailed, event, meta);
  }

  @OnEvent(BackupEvents.CleanupSucceeded)
  onCleanupSucceeded(event: CleanupSucceededEvent, meta?: BackupEventMeta): Promise<NotifyReport> {
    return this.forward(BackupEvents.CleanupSucceeded, event, meta);
  }

  @OnEvent(BackupEvents.CleanupFailed)
  onCleanupFailed(event: CleanupFailedEvent, meta?: BackupEventMeta): Promise<NotifyReport> {
    return this.forward(BackupEvents.CleanupFailed, event, meta);
  }

  @OnEvent(BackupEvents.HealthyBackupFound)
  onHealthyBackupFound(event: HealthyBackupFoundEvent, meta?: BackupEventMeta): Promise<NotifyReport> {
    return this.forward(BackupEvents.HealthyBackupFound, event, meta);
  }

  @OnEvent(BackupEvents.UnhealthyBackupFound)
  onUnhealthyBackupFound(event: UnhealthyBackupFoundEvent, meta?: BackupEventMeta): Promise<NotifyReport> {
    return this.forward(BackupEvents.UnhealthyBackupFound, event, meta);
  }

  private forward<E extends BackupEventName>(name: E, event: BackupEventPayloads[E], meta?: BackupEventMeta): Promise<NotifyReport> {
    if (meta?.disableNotifications) return Promise.resolve({ event: name, skipped: 'disabled', channels: [] });
    return this.notifier.notify(name, event);
  }
}
