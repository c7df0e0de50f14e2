const MB = 1024 * 1024;

/**
 * Archive progress for the CLI: a live line (bytes and rate) on a terminal, a plain log line
 * every few seconds otherwise, so cron mails and CI logs stay readable. Disks that count their
 * uploaded bytes (S3) add those and their current rate (over the last second or more); a server
 * that stalls is said by the retry warnings (the line only moves with the archive).
 */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = Date.now();
  private printed = false;
  private bytes = 0;
  private uploaded: Array<{ disk: string; bytes: number }> = [];
  /** Per disk: the sample the current rate is measured from, and that rate. */
  private readonly rates = new Map<string, { at: number; bytes: number; rate: number }>();

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  update(bytes: number, uploaded: Array<{ disk: string; bytes: number }> = []): void {
    this.bytes = bytes;
    const now = Date.now();
    this.uploaded = uploaded;
    for (const u of uploaded) {
      const r = this.rates.get(u.disk);
      if (!r) this.rates.set(u.disk, { at: now, bytes: u.bytes, rate: u.bytes / Math.max((now - this.started) / 1000, 0.001) });
      else if (now - r.at >= 1000) this.rates.set(u.disk, { at: now, bytes: u.bytes, rate: (u.bytes - r.bytes) / ((now - r.at) / 1000) });
    }
    if (this.out.isTTY) {
      if (now - this.lastPrint < 100 && this.printed) return;
      this.lastPrint = now;
      this.printed = true;
      this.out.write(`\r  archive ${this.describe()}   `);
    } else if (now - this.lastPrint >= this.plainEveryMs) {
      this.lastPrint = now;
      this.out.write(`archive: ${this.describe()}\n`);
    }
  }

  done(): void {
    if (this.out.isTTY && this.printed) this.out.write(`\r  archive ${this.describe()}   \n`);
  }

  private describe(): string {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const uploads = this.uploaded.map(
      (u) => `, ${u.disk} ${(u.bytes / MB).toFixed(1)} MB uploaded at ${((this.rates.get(u.disk)?.rate ?? 0) / MB).toFixed(1)} MB/s`,
    );
    return `${(this.bytes / MB).toFixed(1)} MB written, ${(this.bytes / MB / seconds).toFixed(1)} MB/s${uploads.join('')}`;
  }
}
