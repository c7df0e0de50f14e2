/**
 * Stands in for a psql or mariadb client of a parallel load: records what it is given, answers
 * each job (after 2 ms, so jobs pile up on more than one session) with the COPY tags of its rows.
 */
export class FakeSession {
  outstanding = 0;
  settingsSent = 0;
  full = false;
  error: Error | undefined;
  readonly received: string[] = [];
  /** Everything received, in order, with each job's end marked. */
  readonly log: string[] = [];
  constructor(
    readonly name: string,
    private readonly order: string[],
  ) {}
  write(parts: Buffer | string | (Buffer | string)[]): boolean {
    const text = (Array.isArray(parts) ? parts : [parts]).map(String).join('');
    this.received.push(text);
    this.order.push(`${this.name}: ${text}`);
    return true;
  }
  /** The statement end each job's marker was sent with. */
  readonly delimiters: string[] = [];
  run(parts: (Buffer | string)[], bytes: number, delimiter = ';'): Promise<number[]> {
    this.delimiters.push(delimiter);
    const text = parts.map(String).join('');
    if (text) this.write(text);
    this.outstanding += bytes;
    const copies = [...text.matchAll(/^COPY [^\n]*FROM stdin;\n([\s\S]*?)^\\\.\n/gm)].map((m) => m[1].split('\n').length - 1);
    // Later jobs finish later, so pieces pile up on more than one session.
    return new Promise((resolve) =>
      setTimeout(() => {
        this.outstanding -= bytes;
        this.order.push(`${this.name}: done ${text.trim().split('\n').pop()}`);
        resolve(copies);
      }, 2),
    );
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
}
