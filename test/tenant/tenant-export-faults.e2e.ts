/**
 * A tenant export whose destination fails half-way, on PostgreSQL (where the rows stream out of
 * a server-side COPY): the export fails promptly with the destination's error, stores nothing,
 * and leaves no connection behind.
 */
import { TENANT_SESSION_NAME } from '../../libs/backup/src/tenant/sessions/postgres.session';
import { Writable } from 'node:stream';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DestinationUpload } from '../../libs/backup/src/destinations/destination.interface';
import { DestinationRegistry } from '../../libs/backup/src/destinations/destination.registry';
import { createTestDatabase, runSql, TestDatabase } from '../support/databases';
import { tenantHarness, TenantHarness } from './tenant.fixtures';

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String);
  } catch {
    return [];
  }
}

describe('tenant export to a destination that fails half-way (PostgreSQL, server-side COPY)', () => {
  let db: TestDatabase;
  let h: TenantHarness;

  beforeAll(async () => {
    db = await createTestDatabase('postgres', 'tenantfault');
    h = await tenantHarness(db);
    // Tenant 3 gets a million more users: ~90 MB of JSON Lines, far more than the archive writer
    // holds ahead (8 MiB), so the server is still sending rows when the destination fails.
    await runSql(
      db.connection,
      `INSERT INTO users (tenant_id, email, name) SELECT 3, 'bulk' || g || '@example.com', md5(g::text) FROM generate_series(1, 1000000) g`,
    );
  });

  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  it('fails within seconds with the disk error, stores nothing and closes its connection', async () => {
    const local = h.moduleRef.get(DestinationRegistry).get('local');
    const openUpload = local.openUpload.bind(local);
    // The disk takes 1 MiB of the archive, then reports itself full.
    local.openUpload = async (key: string): Promise<DestinationUpload> => {
      const upload = await openUpload(key);
      let taken = 0;
      const failing = new Writable({
        write(chunk: Buffer, encoding, done) {
          taken += chunk.length;
          if (taken > 1024 * 1024) return done(new Error('ENOSPC: no space left on device (test)'));
          upload.stream.write(chunk, encoding, done);
        },
      });
      return Object.assign(Object.create(upload) as DestinationUpload, { stream: failing });
    };
    // The export's own session, by its application_name: the app's TypeORM pool (the audit trail
    // checks its table through it) opens and closes connections on its own schedule.
    const connections = async () =>
      Number(
        (
          await runSql(
            db.connection,
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = '${TENANT_SESSION_NAME}'`,
          )
        )[0].n,
      );
    const before = await connections();
    // Seen while the export runs: the count below is of the session that really did the work.
    let seen = 0;
    const watch = setInterval(
      () =>
        void connections().then(
          (n) => (seen = Math.max(seen, n)),
          () => undefined,
        ),
      25,
    );
    try {
      const started = Date.now();
      const outcome = await Promise.race([
        h.exports.export({ tenantId: '3' }).then(
          () => 'exported',
          (err: Error) => err.message,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000)),
      ]);
      expect(outcome).toMatch(/no space left on device/);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(filesUnder(join(h.appRoot, 'storage/backups')).filter((f) => f.includes('tenants') && f.endsWith('.zip'))).toEqual([]);
      clearInterval(watch);
      expect(seen).toBeGreaterThan(before);
      expect(await connections()).toBeLessThanOrEqual(before);
    } finally {
      clearInterval(watch);
      local.openUpload = openUpload;
    }
  });
});
