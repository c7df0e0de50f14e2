import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveSummary, EntryKind, ZipWriter, ZipWriterOptions } from '../../libs/backup/src/archive';

export const PASSWORD = 'correct horse battery staple';

/** SQL-like text, deterministic, `lines` lines long. */
export function sqlText(lines: number, seed = 1): Buffer {
  const rows: string[] = [];
  let x = seed;
  for (let i = 0; i < lines; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    rows.push(
      `INSERT INTO orders (id, customer, total, note) VALUES (${i}, 'customer-${x % 5000}', ${(x % 100000) / 100}, 'n${x.toString(36)}');\n`,
    );
  }
  return Buffer.from(rows.join(''));
}

/** Splits a buffer into uneven chunks so entry boundaries never line up with block sizes. */
export function chunked(data: Buffer, size = 70_001): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

export interface TestEntry {
  name: string;
  data: Buffer;
  kind?: EntryKind;
  mtime?: Date;
  mode?: number;
}

/** Writes an archive with ZipWriter to `path`, entries added without awaiting each other. */
export async function writeArchive(
  path: string,
  entries: TestEntry[],
  options: Partial<ZipWriterOptions> = {},
  extra?: Record<string, unknown>,
): Promise<ArchiveSummary> {
  const writer = new ZipWriter({ encryption: 'aes256', password: PASSWORD, appName: 'test-app', ...options });
  const written = pipeline(writer.output, createWriteStream(path));
  const adds = entries.map((e) => writer.addEntry(e.name, chunked(e.data), { kind: e.kind ?? 'file', mtime: e.mtime, mode: e.mode }));
  await Promise.all(adds);
  const summary = await writer.finish(extra);
  await written;
  return summary;
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nest-backup-archive-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
