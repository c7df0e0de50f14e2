/**
 * A verify's scratch database and a stop signal (the flake of restore-debris.e2e's "SIGTERM during
 * a verify", 2026-12-02): the server commits a new database before its answer reaches the
 * process, so a signal handled in between must still find the scratch to drop. Against the real
 * PostgreSQL and MariaDB on 127.0.0.1.
 */
import { loaderFor } from '../../libs/backup/src/sources/dumper.registry';
import { createScratch, scratchesInUse } from '../../libs/backup/src/verify/scratch.database';
import { ADMIN, uniqueName } from '../support/databases';

describe.each(['postgres', 'mariadb'] as const)('scratch database on %s', (kind) => {
  afterEach(() => jest.restoreAllMocks());
  // Whatever a failed expectation left: dropped, and its owner lock's connection let go.
  afterAll(async () => {
    for (const s of [...scratchesInUse]) await s.drop().catch(() => undefined);
  });

  it('is known to the signal handlers before the server creates it, and a drop asked meanwhile removes it once created', async () => {
    const loader = loaderFor(ADMIN[kind].driver);
    const create = loader.createDatabase.bind(loader);
    let knownAtCreate = false;
    let dropping: Promise<boolean> | undefined;
    jest.spyOn(loader, 'createDatabase').mockImplementation((server, name) => {
      const scratch = [...scratchesInUse].find((s) => s.connection.database === name);
      knownAtCreate = !!scratch;
      const creating = create(server, name);
      // What a signal handled while the server works does: the next turn of the event loop.
      setImmediate(() => (dropping = scratch?.drop()));
      return creating;
    });
    const scratch = await createScratch(ADMIN[kind], uniqueName('scr'));
    expect(knownAtCreate).toBe(true);
    expect(dropping).toBeDefined();
    expect(await dropping).toBe(true);
    expect(await loader.databaseExists(ADMIN[kind], scratch.connection.database)).toBe(false);
    expect(scratchesInUse.has(scratch)).toBe(false);
  });

  it('is forgotten when the server refuses to create it', async () => {
    const before = scratchesInUse.size;
    const loader = loaderFor(ADMIN[kind].driver);
    jest.spyOn(loader, 'createDatabase').mockRejectedValue(new Error('permission denied to create database'));
    await expect(createScratch(ADMIN[kind], uniqueName('scr'))).rejects.toThrow(/permission denied/);
    expect(scratchesInUse.size).toBe(before);
  });
});
