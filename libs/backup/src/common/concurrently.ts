/**
 * Runs `task` for every item, at most `limit` at once, in order of the items; resolves when all
 * are done. The first rejection stops the rest: no further item is started, the tasks in flight
 * settle, then the call rejects with that first error (so a caller that cleans up afterwards
 * never races a task still running). Tasks that handle their own errors run every item.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        await task(items[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
