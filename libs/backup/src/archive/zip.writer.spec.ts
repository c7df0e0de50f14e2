import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipWriter } from './zip.writer';

function counting(total: number, piece = 64 * 1024): Readable & { pulled: () => number } {
  let sent = 0;
  const r = new Readable({
    highWaterMark: piece,
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(piece, total - sent);
      sent += n;
      this.push(Buffer.alloc(n, 'a'));
    },
  }) as Readable & { pulled: () => number };
  r.pulled = () => sent;
  return r;
}

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const tick = () => new Promise((r) => setTimeout(r, 30));

describe('ZipWriter', () => {
  it('writes overlapping entries in order, reading ahead only within the look-ahead limits', async () => {
    // Stored, so 4 MB fill the output buffer; one entry may be read ahead, its output held up to 2 MiB.
    const writer = new ZipWriter({ encryption: 'none', level: 0, appName: 't', lookAhead: { entries: 1, bytes: 2 * 1024 * 1024 } });
    const first = counting(4 * 1024 * 1024);
    const second = counting(8 * 1024 * 1024);
    const third = counting(1024 * 1024);
    const order: string[] = [];
    const a = writer.addEntry('a.bin', first, { kind: 'file' }).then((r) => (order.push('a'), r));
    const b = writer.addEntry('b.bin', second, { kind: 'file' }).then((r) => (order.push('b'), r));
    const c = writer.addEntry('c.bin', third, { kind: 'file' }).then((r) => (order.push('c'), r));
    await tick();
    // Nobody reads the output yet: the first entry is held by back pressure, the second is read
    // ahead until its held output reaches the limit (plus what its stream buffers), the third waits.
    expect(first.pulled()).toBeGreaterThan(0);
    expect(second.pulled()).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(second.pulled()).toBeLessThan(3 * 1024 * 1024);
    expect(third.pulled()).toBe(0);
    const done = pipeline(writer.output, sink());
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect([ra.size, rb.size, rc.size]).toEqual([4 * 1024 * 1024, 8 * 1024 * 1024, 1024 * 1024]);
    const summary = await writer.finish();
    await done;
    expect(summary.entries.map((e) => e.path)).toEqual(['a.bin', 'b.bin', 'c.bin']);
  });

  it('with no look-ahead, reads a source only when its turn comes', async () => {
    const writer = new ZipWriter({ encryption: 'none', level: 0, appName: 't', lookAhead: { entries: 0 } });
    const first = counting(4 * 1024 * 1024);
    const second = counting(1024 * 1024);
    const a = writer.addEntry('a.bin', first, { kind: 'file' });
    const b = writer.addEntry('b.bin', second, { kind: 'file' });
    await tick();
    expect(first.pulled()).toBeGreaterThan(0);
    expect(second.pulled()).toBe(0);
    const done = pipeline(writer.output, sink());
    await Promise.all([a, b]);
    await writer.finish();
    await done;
  });

  it('stops reading the source while nobody reads the output (back pressure)', async () => {
    const writer = new ZipWriter({ encryption: 'aes256', password: 'pw', level: 0, appName: 't' });
    const source = counting(256 * 1024 * 1024);
    const entry = writer.addEntry('big.bin', source, { kind: 'file' });
    await tick();
    await tick();
    expect(source.pulled()).toBeLessThan(8 * 1024 * 1024);
    writer.abort(new Error('stop'));
    await expect(entry).rejects.toThrow('stop');
    expect(source.destroyed).toBe(true);
  });

  it('abort() rejects queued entries, destroys their sources and the output', async () => {
    const writer = new ZipWriter({ encryption: 'none', appName: 't' });
    const outputError = new Promise((resolve) => writer.output.on('error', resolve));
    const queued = counting(1024);
    const a = writer.addEntry('a', counting(64 * 1024 * 1024), { kind: 'file' });
    const b = writer.addEntry('b', queued, { kind: 'file' });
    writer.abort(new Error('destination failed'));
    await expect(a).rejects.toThrow('destination failed');
    await expect(b).rejects.toThrow('destination failed');
    expect(queued.destroyed).toBe(true);
    expect(await outputError).toEqual(new Error('destination failed'));
    await expect(writer.finish()).rejects.toThrow(/already finished or aborted/);
  });

  it('a failing source fails the whole archive (its half-written entry cannot be taken back)', async () => {
    const writer = new ZipWriter({ encryption: 'none', appName: 't' });
    const done = pipeline(writer.output, sink());
    const broken = new Readable({
      read() {
        this.destroy(new Error('pg_dump exited with 1'));
      },
    });
    await expect(writer.addEntry('db.sql', broken, { kind: 'database-dump' })).rejects.toThrow('pg_dump exited with 1');
    await expect(done).rejects.toThrow('pg_dump exited with 1');
  });

  it('a source that fails while it waits for its turn fails its entry, not the process', async () => {
    // CI caught this: a dump whose server refused it was destroyed while small files held every
    // look-ahead slot, and the error event with no listener yet killed the process.
    const writer = new ZipWriter({ encryption: 'none', level: 0, appName: 't', lookAhead: { entries: 0 } });
    const first = writer.addEntry('a.bin', counting(4 * 1024 * 1024), { kind: 'file' });
    const waiting = new Readable({ read() {} });
    const dump = writer.addEntry('db.sql', waiting, { kind: 'database-dump' });
    await tick();
    waiting.destroy(new Error('pg_dump: connection refused'));
    await tick(); // an unhandled 'error' event would end the test run here
    const done = pipeline(writer.output, sink());
    await first;
    await expect(dump).rejects.toThrow('pg_dump: connection refused');
    await expect(done).rejects.toThrow('pg_dump: connection refused');
  });

  it('refuses a missing password, a bad level and duplicate names', async () => {
    expect(() => new ZipWriter({ encryption: 'aes256', appName: 't' })).toThrow(/password/);
    expect(() => new ZipWriter({ encryption: 'none', appName: 't', level: 11 })).toThrow(/level/);
    const writer = new ZipWriter({ encryption: 'none', appName: 't' });
    const done = pipeline(writer.output, sink());
    await writer.addEntry('x', Readable.from([Buffer.from('1')]), { kind: 'file' });
    await expect(writer.addEntry('x', Readable.from([Buffer.from('2')]), { kind: 'file' })).rejects.toThrow(/Duplicate/);
    await writer.finish();
    await done;
  });
});
