/**
 * Archive throughput benchmark (issue 2): 512 MB of generated SQL-like text through ZipWriter
 * with deflate 6 + WinZip AES-256, one entry and then two entries at once, beside node's own
 * zlib.deflateRawSync level 6 on the same data in the same run. Prints MB/s and peak RSS.
 *
 *   npm run bench:archive            (BENCH_MB=128 for a shorter run)
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { deflateRawSync } from 'node:zlib';
// The archive layer of the built library (dist/bench runs against libs/backup/dist), typed from source.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { ZipWriter } = require('../../libs/backup/dist/archive') as typeof import('../libs/backup/src/archive');

const MB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_MB ?? 512) * MB;
const BLOCK = 16 * MB;
const SLICE = 64 * 1024;

/**
 * 16 MB of SQL-like rows with realistic entropy (ids, hashes, emails, free text from a small
 * vocabulary: deflate 6 reaches about 0.2 like a real dump); the stream repeats the block,
 * far beyond deflate's 32 KiB window, so repetition does not help the compressor.
 */
function makeBlock(): Buffer {
  const out = Buffer.allocUnsafe(BLOCK);
  let x = 12345;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.floor((x / 2147483648) * n);
  };
  const vocab = Array.from({ length: 400 }, (_, i) => ((i * 2654435761) % 4294967296).toString(36).slice(0, 3 + (i % 7)));
  const statuses = ['shipped', 'pending', 'refunded', 'cancelled', 'delivered'];
  let pos = 0;
  let id = 1000;
  while (pos < BLOCK) {
    const words = Array.from({ length: 3 + rnd(8) }, () => vocab[rnd(vocab.length)]).join(' ');
    const hash = Array.from({ length: 4 }, () => rnd(0x10000).toString(16).padStart(4, '0')).join('');
    const line =
      `INSERT INTO public.orders VALUES (${(id += 1 + rnd(3))}, ${rnd(1000000)}, '${statuses[rnd(5)]}', ` +
      `'${vocab[rnd(400)]}.${vocab[rnd(400)]}${rnd(100)}@example.com', ${rnd(10000000) / 100}, '${hash}', ` +
      `'2026-${String(1 + rnd(12)).padStart(2, '0')}-${String(1 + rnd(28)).padStart(2, '0')} ${rnd(24)}:${rnd(60)}:${rnd(60)}', '${words}');\n`;
    pos += out.write(line, pos);
  }
  return out;
}

function source(block: Buffer, bytes: number): Readable {
  let sent = 0;
  return new Readable({
    highWaterMark: 4 * SLICE,
    read() {
      if (sent >= bytes) return void this.push(null);
      const at = sent % block.length;
      const n = Math.min(SLICE, bytes - sent, block.length - at);
      sent += n;
      this.push(block.subarray(at, at + n));
    },
  });
}

class RssSampler {
  peak = 0;
  private timer = setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage.rss())), 20);
  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.peak, process.memoryUsage.rss());
  }
}

async function runWriter(block: Buffer, entries: number): Promise<{ mbps: number; peakRss: number; archive: number }> {
  global.gc?.();
  const rss = new RssSampler();
  const start = process.hrtime.bigint();
  const writer = new ZipWriter({ encryption: 'aes256', password: 'bench-password', level: 6, appName: 'bench' });
  let archive = 0;
  const sink = pipeline(writer.output, new Writable({ write: (c: Buffer, _e, cb) => ((archive += c.length), cb()) }));
  const per = TOTAL / entries;
  await Promise.all(
    Array.from({ length: entries }, (_, i) => writer.addEntry(`db/part-${i}.sql`, source(block, per), { kind: 'database-dump' })),
  );
  await writer.finish();
  await sink;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { mbps: TOTAL / MB / seconds, peakRss: rss.stop(), archive };
}

function runNative(block: Buffer): { mbps: number; ratio: number } {
  global.gc?.();
  let out = 0;
  const start = process.hrtime.bigint();
  for (let done = 0; done < TOTAL; done += BLOCK)
    out += deflateRawSync(block.subarray(0, Math.min(BLOCK, TOTAL - done)), { level: 6 }).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { mbps: TOTAL / MB / seconds, ratio: out / TOTAL };
}

async function main(): Promise<void> {
  const block = makeBlock();
  const fmt = (n: number) => n.toFixed(1).padStart(7);
  const os = require('node:os') as typeof import('node:os');
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `archive bench: ${TOTAL / MB} MB of SQL-like text, deflate 6, WinZip AES-256; node ${process.version}, ${os.cpus().length} cores, load ${load()}`,
  );
  const native = runNative(block);
  console.log(`node zlib.deflateRawSync level 6 (1 core)   ${fmt(native.mbps)} MB/s   ratio ${native.ratio.toFixed(3)}`);
  const one = await runWriter(block, 1);
  console.log(
    `ZipWriter, 1 entry                           ${fmt(one.mbps)} MB/s   ${(one.mbps / native.mbps).toFixed(2)}x native (target >= 0.85x)   ratio ${(one.archive / TOTAL).toFixed(3)}   peak RSS ${fmt(one.peakRss / MB)} MB`,
  );
  const two = await runWriter(block, 2);
  console.log(
    `ZipWriter, 2 entries at once                 ${fmt(two.mbps)} MB/s   ${(two.mbps / native.mbps).toFixed(2)}x native (target >= 1.6x)    ratio ${(two.archive / TOTAL).toFixed(3)}   peak RSS ${fmt(two.peakRss / MB)} MB`,
  );
  const maxRss = process.resourceUsage().maxRSS / 1024;
  console.log(`process peak RSS (whole run)                 ${fmt(maxRss)} MB (target < 150 MB)`);
  const ok = one.mbps >= 0.85 * native.mbps && two.mbps >= 1.6 * native.mbps && maxRss < 150;
  console.log(ok ? 'targets met' : 'TARGETS NOT MET');
  // The machine may be shared: other processes on the cores lower the parallel figures.
  console.log(`load average at the end: ${load()}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
