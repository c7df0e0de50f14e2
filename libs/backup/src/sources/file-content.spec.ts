import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileContent, WHOLE_FILE_BYTES } from './file-content';

async function collect(content: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(content)) return content;
  const parts: Buffer[] = [];
  for await (const c of content) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('fileContent', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'file-content-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a small file whole and closes it; streams a large one', async () => {
    const small = join(dir, 'small');
    await writeFile(small, 'hello');
    const handle = await open(small, 'r');
    const content = await fileContent(handle, 5);
    expect(Buffer.isBuffer(content) && content.toString()).toBe('hello');
    await expect(handle.stat()).rejects.toThrow(/closed/);

    const large = join(dir, 'large');
    await writeFile(large, Buffer.alloc(WHOLE_FILE_BYTES + 1, 7));
    const streamed = await fileContent(await open(large, 'r'), WHOLE_FILE_BYTES + 1);
    expect(Buffer.isBuffer(streamed)).toBe(false);
    expect((await collect(streamed)).length).toBe(WHOLE_FILE_BYTES + 1);
  });

  it('reads a file of the expected size with one read, and one a byte larger as a stream', async () => {
    const exact = join(dir, 'exact');
    await writeFile(exact, 'x'.repeat(3000));
    const handle = await open(exact, 'r');
    const read = jest.spyOn(handle, 'read');
    expect((await collect(await fileContent(handle, 3000))).toString()).toBe('x'.repeat(3000));
    expect(read).toHaveBeenCalledTimes(1);

    const byOne = join(dir, 'by-one');
    await writeFile(byOne, 'y'.repeat(3001));
    const content = await fileContent(await open(byOne, 'r'), 3000);
    expect(Buffer.isBuffer(content)).toBe(false);
    expect((await collect(content)).toString()).toBe('y'.repeat(3001));
  });

  it('takes what is there when a file changed size since the walk: shrunk whole, grown as a stream from its start', async () => {
    const shrunk = join(dir, 'shrunk');
    await writeFile(shrunk, 'abcdef');
    await truncate(shrunk, 3);
    expect((await collect(await fileContent(await open(shrunk, 'r'), 6))).toString()).toBe('abc');

    const grown = join(dir, 'grown');
    await writeFile(grown, 'x'.repeat(5000));
    const content = await fileContent(await open(grown, 'r'), 10);
    expect(Buffer.isBuffer(content)).toBe(false);
    expect((await collect(content)).toString()).toBe('x'.repeat(5000));
  });
});
