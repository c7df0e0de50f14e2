/**
 * A tenant with many files: the export reads the small ones whole and queues several at once
 * (as a backup does), streams the large ones, and still gives every file back byte for byte,
 * only that tenant's, in an archive 7-Zip opens with the password.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listFiles, runCli, tempAppDir } from '../support/cli';
import { extractWith7z } from '../support/seven-zip';

const PASSWORD = 'tenant-export-files-archive-password-0123456789';
const ENV = {
  APP_NAME: 'tenant-files',
  BACKUP_ARCHIVE_PASSWORD: PASSWORD,
  BACKUP_INCLUDE: 'storage/app',
  BACKUP_TENANT_FILES: 'storage/app/tenants/{tenant}',
  BACKUP_FAILURE_NOTIFICATIONS: '',
  BACKUP_HEALTH_NOTIFICATIONS: '',
  BACKUP_SUCCESS_NOTIFICATIONS: '',
};

describe('backup:tenant-export of a tenant with many files', () => {
  let app: ReturnType<typeof tempAppDir>;
  afterAll(() => app?.cleanup());

  it('gives back every file of the tenant byte for byte, small, empty and larger than 1 MiB, and no other tenant’s', async () => {
    app = tempAppDir('nbt-tenant-files-');
    const env = { ...ENV, DB_URL: `sqlite:${join(app.dir, 'demo.sqlite')}` };
    expect((await runCli(['demo:seed', '--tenants', '4', '--rows', '2'], env, app.dir)).code).toBe(0);

    const written = new Map<string, Buffer>();
    const put = (tenant: number, rel: string, data: Buffer) => {
      const file = join(app.dir, 'storage/app/tenants', String(tenant), rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, data);
      if (tenant === 3) written.set(`storage/app/tenants/3/${rel}`, data);
    };
    // More files than the export queues at once; text (deflated) and random (stored) alike.
    for (let i = 0; i < 70; i++) {
      const size = 1 + ((i * 7919) % 40_000);
      put(
        3,
        `uploads/${i % 5}/file-${i}.${i % 2 ? 'bin' : 'txt'}`,
        i % 2 ? randomBytes(size) : Buffer.from(`line ${i} of tenant 3\n`.repeat(Math.ceil(size / 20)).slice(0, size)),
      );
    }
    put(3, 'empty.txt', Buffer.alloc(0));
    put(3, 'scans/large-1.bin', randomBytes(1024 * 1024 + 1));
    put(3, 'scans/large-2.txt', Buffer.from('x'.repeat(3 * 1024 * 1024)));
    put(4, 'uploads/other-tenant.txt', Buffer.from('tenant 4 only'));

    const run = await runCli(['backup:tenant-export', '3'], env, app.dir);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    // The seed's own two files of tenant 3 and the 73 written here.
    expect(run.stdout).toMatch(/files: 75\b/);
    const [archive] = listFiles(app.dir).filter((f) => /\/tenants\/3\/[\d-]+\.zip$/.test(f));
    expect(archive).toBeDefined();

    const out = join(app.dir, 'extracted');
    const extracted = await extractWith7z(join(app.dir, archive), out, PASSWORD);
    expect(extracted.code).toBe(0);
    const onDisk = listFiles(join(app.dir, 'storage/app/tenants/3')).map((f) => `storage/app/tenants/3/${f}`);
    expect(onDisk.length).toBe(75);
    for (const rel of written.keys()) expect(onDisk).toContain(rel);
    expect(listFiles(join(out, 'files')).sort()).toEqual(onDisk.sort());
    for (const rel of onDisk) expect(readFileSync(join(out, 'files', rel)).equals(readFileSync(join(app.dir, rel)))).toBe(true);
    for (const [rel, data] of written) expect(readFileSync(join(out, 'files', rel)).equals(data)).toBe(true);
  });
});
