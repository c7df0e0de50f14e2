import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type * as ArchiveApi from '../../libs/backup/src/archive';
import type * as PoolApi from '../../libs/backup/src/archive/entry-worker.pool';
import { decodeStored } from '../../libs/backup/src/archive/small-entry';
import { deriveKeys } from '../../libs/backup/src/archive/winzip-aes';
import { METHOD_DEFLATE, METHOD_STORED } from '../../libs/backup/src/archive/zip-format';
import { extractWith7z } from '../support/seven-zip';
import { PASSWORD, sqlText, tempDir } from './archive.fixtures';

/**
 * Small files given to the archive writer whole are encoded on worker threads. Workers run only
 * from compiled JavaScript (the worker script beside the library), so this test loads the
 * library's build, as an app that installed the package does (npm test builds first).
 */
const DIST = resolve(__dirname, '../../libs/backup/dist/archive');
const WORKER = join(DIST, 'entry.worker.js');
if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first (npm test does)`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ZipWriter, ZipReader, WrongPasswordError } = require(DIST) as typeof ArchiveApi;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EntryWorkerPool } = require(join(DIST, 'entry-worker.pool')) as typeof PoolApi;

function uploads(): Array<{ name: string; data: Buffer }> {
  const files: Array<{ name: string; data: Buffer }> = [];
  for (let i = 0; i < 120; i++) {
    const size = [0, 1, 19, 20, 700, 5_000, 40_000, 300_000][i % 8];
    // Text that deflates, random bytes that do not, and random bytes behind a text start.
    const data =
      i % 3 === 0
        ? sqlText(Math.ceil(size / 90) + 1, i).subarray(0, size)
        : i % 3 === 1
          ? randomBytes(size)
          : Buffer.concat([sqlText(200, i), randomBytes(size)]).subarray(0, size);
    files.push({ name: `files/t${i % 7}/upload-${i}.bin`, data });
  }
  return files;
}

describe('small entries are encoded and decoded on worker threads', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('finds the compiled worker script beside the library', () => {
    expect(EntryWorkerPool.available()).toBe(true);
  });

  for (const encryption of ['aes256', 'none'] as const) {
    it(`${encryption}: 7-Zip and the reader get every file byte-identical, the caller's buffers stay as they were`, async () => {
      const files = uploads();
      const copies = files.map((f) => Buffer.from(f.data));
      const archive = join(dir, `whole-${encryption}.zip`);
      const writer = new ZipWriter({
        encryption,
        password: encryption === 'aes256' ? PASSWORD : undefined,
        appName: 'test-app',
        threads: 2,
      });
      const written = pipeline(writer.output, createWriteStream(archive));
      await Promise.all(files.map((f) => writer.addEntry(f.name, f.data, { kind: 'file', mtime: new Date('2024-05-06T07:08:10Z') })));
      const summary = await writer.finish();
      await written;

      files.forEach((f, i) => expect(f.data.equals(copies[i])).toBe(true));
      const out = join(dir, `whole-${encryption}-7z`);
      const result = await extractWith7z(archive, out, encryption === 'aes256' ? PASSWORD : undefined);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      for (const f of files) expect((await readFile(join(out, f.name))).equals(f.data)).toBe(true);
      // Entries in the order they were added; the manifest's checksums are the files'.
      expect(summary.entries.map((e) => e.path)).toEqual(files.map((f) => f.name));
      const reader = await ZipReader.open(archive, { password: encryption === 'aes256' ? PASSWORD : undefined });
      try {
        const report = await reader.verify();
        expect(report.faults).toEqual([]);
      } finally {
        await reader.close();
      }
      // Text is deflated (upload-15 is 300 KB of text), random data stored (upload-7: 300 KB).
      const entry = (i: number) => summary.entries.find((e) => e.path === files[i].name)!;
      expect(entry(15).compressedSize).toBeLessThan(entry(15).size / 2);
      expect(entry(7).compressedSize).toBeGreaterThanOrEqual(entry(7).size);
    });
  }

  it('handed-over buffers go to the workers without a copy; pooled small buffers are copied, never moved', async () => {
    const files = uploads();
    // As fileContent reads a file: a memory block of its own (sizes over 4 KiB can be moved).
    const own = files.map((f) => {
      const b = Buffer.allocUnsafeSlow(f.data.length);
      f.data.copy(b);
      return b;
    });
    // Small Buffers cut from Node's shared 8 KiB pool: moving one would empty its neighbours.
    const pooled = ['a', 'bb', 'ccc'].map((s) => Buffer.from(s.repeat(40)));
    expect(pooled.every((b) => b.buffer.byteLength === Buffer.poolSize)).toBe(true);
    const archive = join(dir, 'handed-over.zip');
    const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: 'test-app', threads: 1 });
    const written = pipeline(writer.output, createWriteStream(archive));
    // One at a time with a turn of the event loop between, as files come from the disk (the
    // worker's "ready" message needs one).
    const added: Array<Promise<unknown>> = [];
    for (const [i, f] of files.entries()) {
      await new Promise(setImmediate);
      added.push(writer.addEntry(f.name, own[i], { kind: 'file', handOver: true }));
      if (i % 40 === 0)
        added.push(...pooled.map((b, j) => writer.addEntry(`files/pooled-${i}-${j}.txt`, b, { kind: 'file', handOver: true })));
    }
    await Promise.all(added);
    await writer.finish();
    await written;

    // Some files went to the worker as they were (emptied here); the rest were encoded inline.
    const moved = own.filter((b, i) => b.length === 0 && files[i].data.length > 0).length;
    expect(moved).toBeGreaterThan(0);
    pooled.forEach((b, i) => expect(b.toString()).toBe(['a', 'bb', 'ccc'][i].repeat(40)));
    const out = join(dir, 'handed-over-7z');
    const result = await extractWith7z(archive, out, PASSWORD);
    expect(result.code).toBe(0);
    for (const f of files) expect((await readFile(join(out, f.name))).equals(f.data)).toBe(true);
    for (const i of [0, 40, 80]) {
      for (const [j, s] of ['a', 'bb', 'ccc'].entries())
        expect(await readFile(join(out, `files/pooled-${i}-${j}.txt`), 'utf8')).toBe(s.repeat(40));
    }
  });

  it('the reader decodes on workers: every entry back byte-identical, a damaged one named with its fault, a wrong password refused', async () => {
    const files = uploads();
    const archive = join(dir, 'read-back.zip');
    const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: 'test-app' });
    const written = pipeline(writer.output, createWriteStream(archive));
    await Promise.all(files.map((f) => writer.addEntry(f.name, f.data, { kind: 'file' })));
    await writer.finish();
    await written;

    for (const threads of [2, 0]) {
      const reader = await ZipReader.open(archive, { password: PASSWORD, threads });
      try {
        const got = new Map<string, Buffer>();
        const left = await reader.readSmallEntries(
          files.map((f) => f.name),
          (name, result) => {
            if ('error' in result) throw result.error;
            if (!('data' in result)) throw new Error(`${name}: written without a target`);
            got.set(name, Buffer.from(result.data));
          },
        );
        expect(left).toEqual([]);
        for (const f of files) expect(got.get(f.name)?.equals(f.data)).toBe(true);
      } finally {
        await reader.close();
      }
    }

    // Given targets, the workers write each checked entry themselves, with its mode and time.
    const reader = await ZipReader.open(archive, { password: PASSWORD, threads: 2 });
    try {
      const out = join(dir, 'written');
      await mkdir(out);
      const mtime = new Date('2023-02-03T04:05:06Z');
      const targets = new Map(files.map((f, i) => [f.name, { path: join(out, `f${i}`), mode: 0o640, mtime }]));
      const written: string[] = [];
      const left = await reader.readSmallEntries(
        files.map((f) => f.name),
        (name, result) => {
          if ('error' in result) throw result.error;
          if (!('written' in result)) throw new Error(`${name} came back to the main thread`);
          written.push(name);
        },
        { writeTo: (name) => targets.get(name)! },
      );
      expect(left).toEqual([]);
      expect(written.sort()).toEqual(files.map((f) => f.name).sort());
      for (const [i, f] of files.entries()) {
        const path = join(out, `f${i}`);
        expect((await readFile(path)).equals(f.data)).toBe(true);
        const st = await stat(path);
        expect(st.mode & 0o777).toBe(0o640);
        expect(st.mtime.toISOString()).toBe(mtime.toISOString());
      }
      // A target that exists already is never overwritten: the entry fails, naming the file.
      const clash = await ZipReader.open(archive, { password: PASSWORD, threads: 2 });
      try {
        const errors: Error[] = [];
        await clash.readSmallEntries(
          files.map((f) => f.name),
          (_name, result) => void ('error' in result && errors.push(result.error)),
          { writeTo: (name) => targets.get(name)! },
        );
        expect(errors).toHaveLength(files.length);
        expect(errors[0].message).toMatch(/cannot write .*\/f\d+: EEXIST/);
      } finally {
        await clash.close();
      }
    } finally {
      await reader.close();
    }

    // One byte of one entry's ciphertext flipped: that entry, and only that one, fails its HMAC.
    const bytes = await readFile(archive);
    const victim = files[118]; // 40,000 random bytes: stored
    const at = bytes.indexOf(Buffer.from(victim.name)) + victim.name.length + 11 + 18 + 1000;
    bytes[at] ^= 0x40;
    const damaged = join(dir, 'read-back-damaged.zip');
    await writeFile(damaged, bytes);
    const damagedReader = await ZipReader.open(damaged, { password: PASSWORD, threads: 2 });
    try {
      const report = await damagedReader.verify();
      expect(report.faults).toEqual([
        { entry: victim.name, message: expect.stringMatching(/authentication code \(HMAC\) does not match/) },
      ]);
    } finally {
      await damagedReader.close();
    }
    const wrong = await ZipReader.open(archive, { password: 'not the password at all, not at all', threads: 2 });
    try {
      await expect(wrong.verify()).rejects.toBeInstanceOf(WrongPasswordError);
    } finally {
      await wrong.close();
    }
  });

  it('a worker derives keys with the WebAssembly module its pool compiled (handed over, not generated again)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { simdModule } = require(join(DIST, 'pbkdf2-sha1')) as typeof import('../../libs/backup/src/archive/pbkdf2-sha1');
    const module = simdModule();
    expect(Object.prototype.toString.call(module)).toBe('[object WebAssembly.Module]');
    const script = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { pbkdf2Sync } = require('node:crypto');
      const pb = require(${JSON.stringify(join(DIST, 'pbkdf2-sha1'))});
      pb.useSimdModule(workerData.module);
      const salt = Buffer.alloc(16, 7);
      const mine = pb.pbkdf2Sha1(Buffer.from('pw'), salt, 66);
      parentPort.postMessage({ engine: pb.simdEngine() !== null, same: mine.equals(pbkdf2Sync('pw', salt, 1000, 66, 'sha1')) });`;
    const { Worker } = await import('node:worker_threads');
    const derive = async (handed: unknown) => {
      const worker = new Worker(script, { eval: true, workerData: { module: handed } });
      try {
        return await new Promise<{ engine: boolean; same: boolean }>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      } finally {
        await worker.terminate();
      }
    };
    expect(await derive(module)).toEqual({ engine: true, same: true });
    // What is handed over is what is used: a module that cannot be instantiated leaves that
    // thread on OpenSSL (same keys, no engine), it does not quietly generate its own.
    expect(await derive({})).toEqual({ engine: false, same: true });
  });

  it('a worker gives what the inline encoder gives: facts that check, a body that decrypts and inflates', async () => {
    const pool = new EntryWorkerPool(PASSWORD, 1, WORKER);
    try {
      const text = sqlText(3_000);
      expect(pool.encode(text, 6, 'file')).toBeUndefined(); // the worker is only starting: inline
      const started = Date.now();
      let job = pool.encode(text, 6, 'file');
      while (!job && Date.now() - started < 10_000) {
        await new Promise((r) => setTimeout(r, 20));
        job = pool.encode(text, 6, 'file');
      }
      if (!job) throw new Error('the worker did not start within 10 s');
      const random = randomBytes(50_000);
      for (const [data, encoded, method] of [
        [text, await job, METHOD_DEFLATE],
        [random, await pool.encode(random, 6, 'file'), METHOD_STORED],
      ] as const) {
        if (!encoded) throw new Error('no worker ready');
        expect(encoded.method).toBe(method);
        expect(encoded.size).toBe(data.length);
        const keys = await deriveKeys(PASSWORD, encoded.body.subarray(0, 16), 3);
        expect(encoded.body.subarray(16, 18).equals(keys.verifier)).toBe(true);
        const entry = {
          name: 'x',
          rawName: Buffer.from('x'),
          localOffset: 0,
          compressedSize: encoded.body.length,
          size: data.length,
          centralMethod: 99,
          method,
          crc: encoded.crc32,
          aesStrength: 3,
        };
        expect(decodeStored(entry, encoded.body, keys, encoded.sha256).equals(data)).toBe(true);
        // And back through a worker: the plaintext, or only its size, or the fault.
        const facts = { name: 'x', size: data.length, method, crc: encoded.crc32, aesStrength: 3, encrypted: true };
        const decoded = await pool.decode(encoded.body, facts, encoded.sha256, true);
        expect(decoded && 'data' in decoded && decoded.data?.equals(data)).toBe(true);
        expect(await pool.decode(encoded.body, facts, encoded.sha256, false)).toEqual({ size: data.length });
        const flipped = Buffer.from(encoded.body);
        flipped[100] ^= 1;
        expect(await pool.decode(flipped, facts, encoded.sha256, true)).toEqual({
          problem: 'the authentication code (HMAC) does not match',
        });
        expect(await pool.decode(encoded.body, facts, 'f'.repeat(64), true)).toEqual({ problem: 'SHA-256 does not match manifest.json' });
      }
    } finally {
      await pool.close();
    }
  });

  it('a worker whose password does not open an entry says so, and the reader then decides (wrong password or damaged salt)', async () => {
    const pool = new EntryWorkerPool('another password entirely, not this one', 1, WORKER);
    try {
      const writerPool = new EntryWorkerPool(PASSWORD, 0);
      expect(writerPool.encode(Buffer.from('x'), 6, 'file')).toBeUndefined(); // 0 threads: always inline
      const { encodeWholeEntry } = await import('../../libs/backup/src/archive/whole-entry');
      const encoded = encodeWholeEntry(sqlText(100), { level: 6, kind: 'file', password: PASSWORD });
      const facts = { name: 'x', size: encoded.size, method: encoded.method, crc: encoded.crc32, aesStrength: 3, encrypted: true };
      let outcome = pool.decode(encoded.body, facts, encoded.sha256, true);
      for (let i = 0; i < 500 && !outcome; i++) {
        await new Promise((r) => setTimeout(r, 20));
        outcome = pool.decode(encoded.body, facts, encoded.sha256, true);
      }
      expect(await outcome).toEqual({ verifierMismatch: true });
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails its entries with an error that says what happened and what to do', async () => {
    const dying = join(dir, 'dying.worker.js');
    await writeFile(
      dying,
      "const { parentPort } = require('node:worker_threads');\nparentPort.on('message', () => process.exit(7));\nparentPort.postMessage({ ready: true });\n",
    );
    const pool = new EntryWorkerPool(PASSWORD, 1, dying);
    try {
      pool.encode(Buffer.from('x'), 6, 'file');
      let job: Promise<unknown> | undefined;
      for (let i = 0; i < 500 && !job; i++) {
        await new Promise((r) => setTimeout(r, 20));
        job = pool.encode(Buffer.from('secret-free data'), 6, 'file');
      }
      await expect(job).rejects.toThrow(
        /entry worker \(a worker thread\) stopped: it exited with code 7[\s\S]*a backup stored nothing under its name, a restore changed nothing/,
      );
      expect(pool.encode(Buffer.from('next'), 6, 'file')).toBeUndefined(); // the dead worker takes no more
    } finally {
      await pool.close();
    }
  });
});
