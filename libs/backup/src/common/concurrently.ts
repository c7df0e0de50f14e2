/**
 * Runs `task` for every item, at most `limit` at once, in order of the items; resolves when all
 * are done. `task` handles its own errors (a rejection stops nothing and is passed through).
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
