/**
 * The reader fetches the next batch of small entries while it decodes the current one. When
 * that read fails early (an S3 server gone) while the current batch is still being worked on,
 * the failure must come out of readSmallEntries as its error, never as an unhandled rejection,
 * which ends a Node process. Run in a child process on the compiled library, as an app runs it
 * (jest's own process does not show an unhandled rejection the way Node's does).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const LIB = resolve(__dirname, '../../libs/backup/dist');

const SCRIPT = `
const { randomBytes } = require('node:crypto');
const { createWriteStream } = require('node:fs');
const { pipeline } = require('node:stream/promises');
const { ZipReader, ZipWriter } = require(process.env.LIB + '/archive');
const { fileSource } = require(process.env.LIB + '/archive/random-access.source');
(async () => {
  const archive = process.env.ARCHIVE;
  const writer = new ZipWriter({ encryption: 'none', level: 0, appName: 't', threads: 0 });
  const written = pipeline(writer.output, createWriteStream(archive));
  // 24 stored entries of 600 KB: more than one 8 MiB batch.
  const names = Array.from({ length: 24 }, (_, i) => 'files/f-' + i + '.bin');
  for (const name of names) await writer.addEntry(name, randomBytes(600000), { kind: 'file' });
  await writer.finish();
  await written;
  const file = await fileSource(archive);
  let opened = false;
  const source = {
    size: file.size,
    // After the open, every read but the first batch's (which starts at 0) fails at once.
    read: async (start, end) => { if (opened && start > 0) throw new Error('the S3 server went away'); return file.read(start, end); },
    close: () => file.close(),
  };
  const zip = await ZipReader.open(source, { threads: 0, closeSource: true });
  opened = true;
  let first = true;
  try {
    await zip.readSmallEntries(names, async () => {
      // The first entry takes a while: the read of the next batch fails meanwhile.
      if (first) { first = false; await new Promise((r) => setTimeout(r, 200)); }
    });
    console.log('resolved');
  } catch (err) {
    console.log('rejected: ' + err.message);
  } finally {
    await zip.close();
  }
})();
`;

describe('the reader’s read-ahead of the next batch', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'nb-read-ahead-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a next batch that fails while the current one is visited is the call’s error, not an unhandled rejection', () => {
    const script = join(dir, 'scenario.js');
    writeFileSync(script, SCRIPT);
    const run = spawnSync(process.execPath, [script], {
      env: { ...process.env, LIB, ARCHIVE: join(dir, 'a.zip') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/Unhandled|triggerUncaughtException/);
    expect(run.stdout.trim()).toBe('rejected: the S3 server went away');
    expect(run.status).toBe(0);
  });
});
