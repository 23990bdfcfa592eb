import { once } from "node:events";
import type { ServerResponse } from "node:http";

/**
 * Writes a stream of server-sent events to the response as they come, ending it when they end.
 *
 * Events produced together (one upstream read often carries several) go out in one write: the
 * first event of a turn starts a batch, and the batch is written on the next tick, once everything
 * the same read produced has been appended (when that read also brought the finish, the events end
 * within the same turn, and the last batch goes out with the end of the response). That is one
 * chunk and one syscall instead of one per event, without holding anything back for later input.
 * A slow client is waited for (`drain`); a client that goes away stops the writing, and returning
 * the iterator releases what feeds it. Whether to wait is read off the response when the next event
 * comes (`writableNeedDrain`), not remembered from the write: the write happens on a later tick, while
 * this loop may already be waiting for the next event, and a `drain` that fires during that wait
 * would be missed (the stream then hung for good after any batch over the 16 KB high-water mark
 * followed by a pause).
 */
export async function writeEventStream(
  events: AsyncIterable<string>,
  res: ServerResponse,
  onError: (error: unknown) => void,
): Promise<void> {
  const iterator = events[Symbol.asyncIterator]();
  let batch = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (batch.length === 0 || res.destroyed) return;
    res.write(batch);
    batch = "";
  };
  const end = () => {
    if (res.destroyed) return;
    // The last batch goes out with the end of the response: one write, not two.
    if (batch.length > 0) res.end(batch);
    else res.end();
    batch = "";
  };
  try {
    for (;;) {
      if (res.writableNeedDrain && !res.destroyed) await drainedOrClosed(res);
      const next = await iterator.next();
      if (next.done === true || res.destroyed) break;
      batch += next.value;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    }
    end();
  } catch (error) {
    // Headers are out, so no error answer is possible: log it and cut the response, which tells
    // the client the stream did not complete.
    onError(error);
    res.destroy();
  } finally {
    await iterator.return?.();
  }
}

async function drainedOrClosed(res: ServerResponse): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([once(res, "drain", done), once(res, "close", done)]);
  } finally {
    done.abort(); // removes the listener that did not fire
  }
}
