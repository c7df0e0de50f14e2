const MB = 1024 * 1024;

/**
 * Archive progress for the CLI: a live line (bytes and rate) on a terminal, a plain log line
 * every few seconds otherwise, so cron mails and CI logs stay readable.
 */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = Date.now();
  private printed = false;
  private bytes = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  update(bytes: number): void {
    this.bytes = bytes;
    const now = Date.now();
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
    return `${(this.bytes / MB).toFixed(1)} MB written, ${(this.bytes / MB / seconds).toFixed(1)} MB/s`;
  }
}
