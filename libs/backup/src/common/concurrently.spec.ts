import { forEachConcurrently } from './concurrently';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('forEachConcurrently', () => {
  it('runs every item, at most `limit` at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachConcurrently([...Array(20).keys()], 3, async (item) => {
      most = Math.max(most, ++running);
      await tick();
      running--;
      done.push(item);
    });
    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('the first failure starts nothing more, lets the tasks in flight finish, then rejects with it', async () => {
    const started: number[] = [];
    let running = 0;
    const call = forEachConcurrently([...Array(20).keys()], 3, async (item) => {
      started.push(item);
      running++;
      await tick(item === 4 ? 1 : 10);
      running--;
      if (item === 4 || item === 5) throw new Error(`item ${item} failed`);
    });
    await expect(call).rejects.toThrow('item 4 failed');
    // Nothing still running when the caller hears of the failure (it may clean up now).
    expect(running).toBe(0);
    expect(started.length).toBeLessThan(20);
  });
});
