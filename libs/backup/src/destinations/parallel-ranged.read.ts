import { Readable } from 'node:stream';

/** How a long range is split: pieces of `pieceBytes`, `concurrency` of them fetched at once. */
export interface ParallelReadPlan {
  pieceBytes: number;
  concurrency: number;
}

/** Pieces are handed downstream in slices of this size, as a single GET's body would be. */
const SLICE = 256 * 1024;

/**
 * Streams bytes start..endInclusive as consecutive pieces fetched several at a time and handed
 * out in order, as `aws s3 cp` downloads: one GET's throughput is bound by one connection's
 * round trips, several in flight fill the link. Memory is at most (concurrency + 1) pieces.
 * Each piece is fetched by `fetch` (a single ranged read with its own stall watchdog and retries).
 */
export async function parallelRangedRead(
  start: number,
  endInclusive: number,
  plan: ParallelReadPlan,
  fetch: (start: number, endInclusive: number) => Promise<Readable>,
): Promise<Readable> {
  const pieces: Array<{ start: number; end: number }> = [];
  for (let at = start; at <= endInclusive; at += plan.pieceBytes) {
    pieces.push({ start: at, end: Math.min(endInclusive, at + plan.pieceBytes - 1) });
  }
  const collect = async (piece: { start: number; end: number }, opened: Promise<Readable>): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const chunk of await opened) parts.push(chunk as Buffer);
    const data = Buffer.concat(parts);
    if (data.length !== piece.end - piece.start + 1) {
      throw new Error(`a ranged read returned ${data.length} bytes for bytes ${piece.start}-${piece.end}`);
    }
    return data;
  };
  const inFlight: Array<Promise<Buffer>> = [];
  let next = 0;
  const startMore = () => {
    while (inFlight.length < plan.concurrency && next < pieces.length) {
      const piece = pieces[next++];
      const pending = collect(piece, fetch(piece.start, piece.end));
      // Read ahead: a piece whose turn never comes (the reader stopped) must not be an unhandled rejection.
      pending.catch(() => undefined);
      inFlight.push(pending);
    }
  };
  // The first answer comes before the stream is handed out, so "no such object" throws here.
  const first = pieces[next++];
  const firstOpened = fetch(first.start, first.end);
  await firstOpened;
  inFlight.push(collect(first, firstOpened));
  return Readable.from(
    (async function* () {
      startMore();
      while (inFlight.length) {
        const data = await (inFlight.shift() as Promise<Buffer>);
        startMore();
        for (let at = 0; at < data.length; at += SLICE) yield data.subarray(at, Math.min(data.length, at + SLICE));
      }
    })(),
    { objectMode: false },
  );
}
