/**
 * Injection token for the host's own health checks: one provider whose value is an array of
 * HealthCheck objects. They run beside the built-in ones for every monitored destination.
 *
 * The HealthMonitor looks the token up anywhere in the application, so a plain provider in
 * any host module works:
 *
 * @example
 * @Module({
 *   imports: [BackupModule.forRoot(options)],
 *   providers: [
 *     RestoreDrillCheck,
 *     { provide: BACKUP_HEALTH_CHECKS, useFactory: (drill: RestoreDrillCheck) => [drill], inject: [RestoreDrillCheck] },
 *   ],
 * })
 * export class AppModule {}
 *
 * Checks that need no injection can also go straight into the module options:
 * `BackupModule.forRoot({ ...options, healthChecks: [new MyCheck()] })`.
 */
export const BACKUP_HEALTH_CHECKS = Symbol('BACKUP_HEALTH_CHECKS');

/** Names of the built-in checks, as they appear in failures and in `backup:monitor`. */
export const BUILT_IN_CHECKS = {
  reachable: 'reachable',
  maxAge: 'max-age',
  maxStorage: 'max-storage',
  futureDated: 'future-dated',
} as const;
