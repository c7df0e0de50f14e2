import { Progress } from './progress';

const MB = 1024 * 1024;

/** A terminal that keeps what is written. */
function terminal(): NodeJS.WriteStream & { text: string } {
  const out = { isTTY: true, text: '', write: (s: string) => ((out.text += s), true) };
  return out as unknown as NodeJS.WriteStream & { text: string };
}

describe('Progress', () => {
  it('on a terminal shows the bytes each S3 disk uploaded and its current rate beside the archive bytes', () => {
    jest.useFakeTimers({ now: new Date('2026-11-30T00:00:00Z') });
    try {
      const out = terminal();
      const progress = new Progress(out);
      jest.advanceTimersByTime(2000);
      progress.update(12 * MB, [{ disk: 's3', bytes: 10 * MB }]);
      expect(out.text).toMatch(/archive 12\.0 MB written, 6\.0 MB\/s, s3 10\.0 MB uploaded at 5\.0 MB\/s/);
      // One second later 1 MB more went up: the current rate is 1 MB/s, not the average.
      jest.advanceTimersByTime(1000);
      progress.update(13 * MB, [{ disk: 's3', bytes: 11 * MB }]);
      expect(out.text).toMatch(/s3 11\.0 MB uploaded at 1\.0 MB\/s\s*$/);
    } finally {
      jest.useRealTimers();
    }
  });
});
