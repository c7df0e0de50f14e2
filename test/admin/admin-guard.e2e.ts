/**
 * BackupAdminModule in a host of its own, with the host's guard instead of the token, under
 * another prefix, over real HTTP (SQLite, local disk): the guard decides, its user is the
 * caller in the audit trail, and the OpenAPI document describes every route of the API.
 */
import { CanActivate, ExecutionContext, Inject, Injectable, INestApplication, Module, UnauthorizedException } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdminApiController } from '../../libs/backup/src/admin/admin-api.controller';
import { ADMIN_JOB_KINDS } from '../../libs/backup/src/admin/jobs/admin-job.types';
import { BackupAdminModule, BackupModule, backupOptionsFromEnv } from '../../libs/backup/src';
import { tempAppDir } from '../support/cli';
import { ARCHIVE_PASSWORD, waitUntil } from './admin-app';

/** The host's users, a dependency of its guard (reached through `imports`). */
const USERS = 'HOST_USERS';
@Module({ providers: [{ provide: USERS, useValue: new Set(['alice']) }], exports: [USERS] })
class UsersModule {}

/** The host's own guard: `x-user` must be a known user; it leaves `request.user` as most guards do. */
@Injectable()
class HeaderGuard implements CanActivate {
  constructor(@Inject(USERS) private readonly users: Set<string>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>();
    const name = request.headers['x-user'];
    if (!name) throw new UnauthorizedException('x-user missing');
    if (!this.users.has(name)) return false;
    request.user = { username: name, roles: ['ops'] };
    return true;
  }
}

describe('admin API behind the host guard', () => {
  const app = tempAppDir('nest-backup-admin-guard-');
  let nest: INestApplication;
  let base: string;
  const auditRecords = () =>
    fs
      .readFileSync(path.join(app.dir, 'storage/audit/admin-guard.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const get = (route: string, user?: string) => fetch(`${base}/${route}`, { headers: user ? { 'x-user': user } : {} });

  beforeAll(async () => {
    const dbFile = path.join(app.dir, 'app.sqlite');
    const db = new Database(dbFile);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('a'), ('b');");
    db.close();
    fs.mkdirSync(path.join(app.dir, 'files'));
    fs.writeFileSync(path.join(app.dir, 'files/readme.txt'), 'kept');
    const env = {
      APP_NAME: 'admin-guard',
      BACKUP_ARCHIVE_PASSWORD: ARCHIVE_PASSWORD,
      BACKUP_DISKS: 'local',
      BACKUP_LOCAL_ROOT: 'backups',
      BACKUP_INCLUDE: 'files',
      BACKUP_FAILURE_NOTIFICATIONS: '',
      BACKUP_HEALTH_NOTIFICATIONS: '',
      BACKUP_SUCCESS_NOTIFICATIONS: '',
    };
    @Module({
      imports: [
        TypeOrmModule.forRoot({ type: 'better-sqlite3', database: dbFile, manualInitialization: true }),
        BackupModule.forRoot(backupOptionsFromEnv(env, { cwd: app.dir })),
        BackupAdminModule.register({ path: '/ops/backups/', guard: HeaderGuard, imports: [UsersModule] }),
      ],
    })
    class HostModule {}
    // No BACKUP_ADMIN_TOKEN anywhere: with a guard, none is needed.
    delete process.env.BACKUP_ADMIN_TOKEN;
    nest = await NestFactory.create(HostModule, { logger: false });
    await nest.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(nest.getHttpServer().address() as { port: number }).port}/ops/backups`;
  });

  afterAll(async () => {
    await nest?.close();
    app.cleanup();
  });

  it("answers with the guard's own 401, 403 when it says no, and records who was refused", async () => {
    expect((await get('backups')).status).toBe(401);
    const refused = await get('backups', 'mallory');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain('refused by the guard');
    const records = auditRecords().filter((r) => r.operation === 'admin-request');
    expect(records.map((r) => [r.details.status, r.outcome])).toEqual([
      [401, 'failure'],
      [403, 'failure'],
    ]);
    expect(records[1].details.caller).toBe('guard');
  });

  it("lets the guard's user in and records the user as the caller of the request and of the run it started", async () => {
    expect((await get('health', 'alice')).status).toBe(503); // no backup yet
    const started = await fetch(`${base}/jobs/run`, {
      method: 'POST',
      headers: { 'x-user': 'alice', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string; caller: string };
    expect(job.caller).toBe('alice');
    let state = '';
    await waitUntil(async () => {
      state = ((await (await get(`jobs/${job.id}`, 'alice')).json()) as { state: string }).state;
      return state === 'succeeded' || state === 'failed';
    }, 'the run to finish');
    expect(state).toBe('succeeded');
    expect((await get('health', 'alice')).status).toBe(200);
    const run = auditRecords().find((r) => r.operation === 'run');
    expect(run).toMatchObject({ outcome: 'success', details: expect.objectContaining({ caller: 'alice' }) });
    const requests = auditRecords().filter((r) => r.operation === 'admin-request' && r.outcome === 'success');
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.every((r) => r.details.caller === 'alice')).toBe(true);
  });

  it('describes every route of the API in the OpenAPI document, under the chosen prefix', async () => {
    const doc = (await (await get('openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const proto = AdminApiController.prototype as unknown as Record<string, object>;
    const methods = ['get', 'post', 'put', 'delete', 'patch', 'all', 'options', 'head'];
    const routes = Object.getOwnPropertyNames(proto)
      .filter((name) => name !== 'constructor' && Reflect.hasMetadata(PATH_METADATA, proto[name]))
      .flatMap((name) => {
        const route = `/ops/backups/${Reflect.getMetadata(PATH_METADATA, proto[name])}`.replace(/:(\w+)/g, '{$1}');
        const method = methods[Reflect.getMetadata(METHOD_METADATA, proto[name]) as number];
        // jobs/{kind} is described once per kind.
        return route.endsWith('{kind}') ? ADMIN_JOB_KINDS.map((k) => `${method} ${route.replace('{kind}', k)}`) : [`${method} ${route}`];
      });
    const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(described.sort()).toEqual(routes.sort());
  });
});
