import { RunName, RunResult, RUN_TITLES, BACKUP_RUNS, RESTORE_RUNS } from './runs';

const MB = 1024 * 1024;

export interface RunSummary {
  run: RunName;
  title: string;
  rounds: number;
  /** Medians over the rounds. */
  wallSeconds: number;
  inputMBps: number;
  peakRssMB: number;
  tempMB: number;
  archiveMB: number;
  /**
   * Wall time over the shell baseline's (backups), gunzip | psql's (restores from local disk), or
   * `aws s3 cp` + restore from the copy's (restores from S3).
   */
  wallVsBaseline: number;
  /** Wall time over 7-Zip's (backups only). */
  wallVs7zip?: number;
  /** Archive size over the shell baseline's two files together (backups only). */
  sizeVsBaseline?: number;
  allWallSeconds: number[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(results: RunResult[]): RunSummary[] {
  const med = (run: RunName, f: (r: RunResult) => number) => median(results.filter((r) => r.run === run).map(f));
  const present = [...BACKUP_RUNS, ...RESTORE_RUNS].filter((run) => results.some((r) => r.run === run));
  const shellWall = med('shell', (r) => r.wallMs);
  const zipWall = med('7zip', (r) => r.wallMs);
  const shellSize = med('shell', (r) => r.archiveBytes);
  const psqlWall = med('psql-restore', (r) => r.wallMs);
  const awsCliWall = med('awscli-restore', (r) => r.wallMs);
  const baseline = (run: RunName) =>
    BACKUP_RUNS.includes(run) ? shellWall : run === 's3-restore' || run === 'awscli-restore' ? awsCliWall : psqlWall;
  return present.map((run) => {
    const mine = results.filter((r) => r.run === run);
    const wall = med(run, (r) => r.wallMs);
    const isBackup = BACKUP_RUNS.includes(run);
    return {
      run,
      title: RUN_TITLES[run],
      rounds: mine.length,
      wallSeconds: wall / 1000,
      inputMBps: med(run, (r) => r.inputBytes / MB / (r.wallMs / 1000)),
      peakRssMB: med(run, (r) => r.peakRssBytes) / MB,
      tempMB: med(run, (r) => r.tempBytes) / MB,
      archiveMB: med(run, (r) => r.archiveBytes) / MB,
      wallVsBaseline: wall / baseline(run),
      ...(isBackup ? { wallVs7zip: wall / zipWall, sizeVsBaseline: med(run, (r) => r.archiveBytes) / shellSize } : {}),
      allWallSeconds: mine.map((r) => r.wallMs / 1000),
    };
  });
}

/** The targets of issue 9 (judged at the large scale; RSS at both). */
export function checkTargets(summaries: RunSummary[]): TargetCheck[] {
  const by = (run: RunName) => summaries.find((s) => s.run === run);
  const checks: TargetCheck[] = [];
  for (const run of ['lib-local', 'lib-s3'] as RunName[]) {
    const s = by(run);
    if (!s) continue;
    checks.push({ target: `${run}: wall ≤ 0.8× shell`, measured: `${s.wallVsBaseline.toFixed(2)}×`, met: s.wallVsBaseline <= 0.8 });
    checks.push({ target: `${run}: wall ≤ 1.0× 7-Zip`, measured: `${s.wallVs7zip!.toFixed(2)}×`, met: s.wallVs7zip! <= 1.0 });
    checks.push({
      target: `${run}: archive ≤ 1.05× shell's two files`,
      measured: `${s.sizeVsBaseline!.toFixed(3)}×`,
      met: s.sizeVsBaseline! <= 1.05,
    });
  }
  for (const run of ['lib-local', 'lib-s3', 'lib-restore'] as RunName[]) {
    const s = by(run);
    if (s) checks.push({ target: `${run}: peak RSS < 200 MB`, measured: `${s.peakRssMB.toFixed(0)} MB`, met: s.peakRssMB < 200 });
  }
  const s3 = by('lib-s3');
  if (s3) checks.push({ target: 'lib-s3: temporary disk < 16 MB', measured: `${s3.tempMB.toFixed(1)} MB`, met: s3.tempMB < 16 });
  const restore = by('lib-restore');
  if (restore)
    checks.push({
      target: 'lib-restore: wall ≤ 1.0× gunzip | psql',
      measured: `${restore.wallVsBaseline.toFixed(2)}×`,
      met: restore.wallVsBaseline <= 1.0,
    });
  const fromS3 = by('s3-restore');
  if (fromS3) {
    checks.push({
      target: 's3-restore: wall ≤ 1.0× aws s3 cp + local restore',
      measured: `${fromS3.wallVsBaseline.toFixed(2)}×`,
      met: fromS3.wallVsBaseline <= 1.0,
    });
    checks.push({ target: 's3-restore: peak RSS < 200 MB', measured: `${fromS3.peakRssMB.toFixed(0)} MB`, met: fromS3.peakRssMB < 200 });
  }
  return checks;
}

export function renderTable(scale: string, summaries: RunSummary[]): string {
  const head = ['run', 'wall s', 'MB/s in', 'peak RSS MB', 'temp MB', 'archive MB', '× baseline', '× 7-Zip', 'size × (3)'];
  const rows = summaries.map((s) => [
    s.title,
    s.wallSeconds.toFixed(2),
    s.inputMBps.toFixed(1),
    s.peakRssMB.toFixed(0),
    s.tempMB.toFixed(1),
    s.archiveMB ? s.archiveMB.toFixed(1) : '—',
    s.wallVsBaseline.toFixed(2),
    s.wallVs7zip !== undefined ? s.wallVs7zip.toFixed(2) : '—',
    s.sizeVsBaseline !== undefined ? s.sizeVsBaseline.toFixed(3) : '—',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [
    `Scale ${scale} (medians; × baseline = over (3) for backups, over gunzip | psql for restores, over aws s3 cp + restore for (6))`,
    line(head),
    '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|',
    ...rows.map(line),
  ].join('\n');
}

export function renderTargets(checks: TargetCheck[]): string {
  return checks.map((c) => `${c.met ? '✔' : '✘'} ${c.target}: ${c.measured}`).join('\n');
}
