import { LockedJob } from '../lock/job.lock';

/** The scheduled jobs, their environment variables and their names in SchedulerRegistry. */
export const SCHEDULED_JOBS: ReadonlyArray<{ job: LockedJob; variable: string; registryName: string }> = [
  { job: 'run', variable: 'BACKUP_SCHEDULE_RUN', registryName: 'nest-backup:run' },
  { job: 'clean', variable: 'BACKUP_SCHEDULE_CLEAN', registryName: 'nest-backup:clean' },
  { job: 'monitor', variable: 'BACKUP_SCHEDULE_MONITOR', registryName: 'nest-backup:monitor' },
  { job: 'verify', variable: 'BACKUP_SCHEDULE_VERIFY', registryName: 'nest-backup:verify' },
];

/** How long shutdown waits for a stopped job to clean up and send its failure event. */
export const SHUTDOWN_GRACE_MS = 30_000;
