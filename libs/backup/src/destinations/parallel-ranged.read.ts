import { Readable } from 'node:stream';

/** How a long range is split: pieces of `pieceBytes`, `concurrency` of them fetched at once. */
export interface ParallelReadPlan {
  pieceBytes: number;
  concurrency: number;
}

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
  // A piece is kept as the chunks its body came in (no copy into one Buffer while it waits).
  const collect = async (piece: { start: number; end: number }, opened: Promise<Readable>): Promise<Buffer[]> => {
    const parts: Buffer[] = [];
    let length = 0;
    for await (const chunk of await opened) {
      parts.push(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    if (length !== piece.end - piece.start + 1) {
      throw new Error(`a ranged read returned ${length} bytes for bytes ${piece.start}-${piece.end}`);
    }
    return parts;
  };
  const inFlight: Array<Promise<Buffer[]>> = [];
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
  const firstCollected = collect(first, firstOpened);
  firstCollected.catch(() => undefined);
  inFlight.push(firstCollected);
  return Readable.from(
    (async function* () {
      startMore();
      while (inFlight.length) {
        const parts = await (inFlight.shift() as Promise<Buffer[]>);
        startMore();
        yield* coalesce(parts);
      }
    })(),
    { objectMode: false },
  );
}

/** Handed on in runs of about this size: a socket's 16–64 KiB chunks cost the decrypt, inflate and hash steps per chunk. */
const HAND_ON_BYTES = 256 * 1024;

function* coalesce(parts: Buffer[]): Generator<Buffer> {
  let run: Buffer[] = [];
  let length = 0;
  for (const part of parts) {
    run.push(part);
    length += part.length;
    if (length >= HAND_ON_BYTES) {
      yield run.length === 1 ? run[0] : Buffer.concat(run, length);
      run = [];
      length = 0;
    }
  }
  if (length > 0) yield run.length === 1 ? run[0] : Buffer.concat(run, length);
}
