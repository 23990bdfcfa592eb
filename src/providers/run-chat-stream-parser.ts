import type { ChatStreamPart } from "./chat-spec.js";
import { ProviderError } from "./errors.js";
import type { UpstreamStream } from "./http.js";
import { DONE } from "./iteration-done.js";

/**
 * A wire format's stream translation as a push parser: each upstream event in, the parts it makes
 * out, at once (nothing is held back for later events). Pure, so its tests feed it events by hand.
 */
export interface ChatStreamParser<E> {
  push(event: E): ChatStreamPart[];
  /**
   * The upstream stream ended: the parts still owed (Gemini's finish comes with the end), or a
   * ProviderError when the stream stopped before its end (no message_stop, no done).
   */
  end(): ChatStreamPart[];
}

/** What doStream read before handing a stream out (see startChatStream). */
interface StreamStart<E> {
  /** Parts made by the events read so far. */
  first: readonly ChatStreamPart[];
  /** Events of the last read that were not parsed yet, in order. */
  rest: readonly E[];
  /** The body ended during the start (parser.end() was called, its parts are in `first`). */
  ended: boolean;
}

/**
 * The parts of a stream: a parser driven over the upstream's events (read in arrays, as sse.ts hands
 * them over), each part handed out as the event that makes it arrives. `start` is what was read
 * before the stream was handed out (startChatStream). Leaving early (break, return(), a parse
 * error, a failed read) cancels the upstream, even when the parts were never iterated at all.
 */
export function chatStreamParts<E>(
  events: AsyncIterator<readonly E[]>,
  parser: ChatStreamParser<E>,
  options: { cancel: () => void; start?: StreamStart<E> },
): AsyncIterableIterator<ChatStreamPart> {
  return new ParsedChatStream(
    events,
    parser,
    options.start ?? { first: [], rest: [], ended: false },
    options.cancel,
  );
}

const NO_PARTS: readonly ChatStreamPart[] = [];

/**
 * chatStreamParts' iterator, written out rather than as an async generator: it runs for every part
 * of every stream, and a generator's yield costs several promises and resumptions where this costs
 * one promise per part (the parts of one read are handed out from an array).
 *
 * Once the finish has been handed out the answer is whole, and what is left of the body is only
 * read so its keep-alive connection can be reused (drain, bounded): by next(), or by return(), so a
 * consumer that stops at the finish (the gateway ends the caller's response there) does not cost
 * the connection. Before the finish, return() cancels.
 */
class ParsedChatStream<E> implements AsyncIterableIterator<ChatStreamPart> {
  private queue: readonly ChatStreamPart[];
  private at = 0;
  /** Events already read but not parsed yet (the rest of the start's last read). */
  private unparsed: readonly E[];
  /** A parse error, thrown once the parts made before it have been handed out. */
  private failure: { error: unknown } | undefined;
  /** The finish was handed out: the answer is whole. */
  private answered = false;
  /** The body is done with: ended, drained after the finish, or given up. */
  private finished: boolean;
  /** Returned or failed: every next() is done. */
  private closed = false;

  constructor(
    private readonly events: AsyncIterator<readonly E[]>,
    private readonly parser: ChatStreamParser<E>,
    start: StreamStart<E>,
    private readonly cancel: () => void,
  ) {
    this.queue = start.first;
    this.unparsed = start.rest;
    this.finished = start.ended;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ChatStreamPart> {
    return this;
  }

  async next(): Promise<IteratorResult<ChatStreamPart, undefined>> {
    for (;;) {
      if (this.closed) return DONE;
      if (this.at < this.queue.length) {
        const part = this.queue[this.at++]!;
        if (part.type === "finish") this.answered = true;
        return { done: false, value: part };
      }
      if (this.failure !== undefined) {
        const { error } = this.failure;
        this.failure = undefined;
        await this.release();
        throw error;
      }
      if (this.finished || this.answered) {
        await this.release();
        return DONE;
      }
      try {
        await this.refill();
      } catch (error) {
        await this.release();
        throw error;
      }
    }
  }

  async return(): Promise<IteratorResult<ChatStreamPart, undefined>> {
    await this.release();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<ChatStreamPart, undefined>> {
    this.cancel();
    await this.release();
    throw error;
  }

  /** The next parts: from the events in hand, else from the next read, else the parser's end. */
  private async refill(): Promise<void> {
    this.queue = NO_PARTS;
    this.at = 0;
    if (this.unparsed.length > 0) {
      const events = this.unparsed;
      this.unparsed = [];
      this.queue = this.parse(events);
      return;
    }
    const next = await this.events.next();
    if (next.done === true) {
      this.finished = true;
      this.queue = this.parser.end();
      return;
    }
    this.queue = this.parse(next.value);
  }

  /** The parts of `events`; a parse error is kept for after the parts made before it. */
  private parse(events: readonly E[]): readonly ChatStreamPart[] {
    const parts: ChatStreamPart[] = [];
    for (const event of events) {
      try {
        parts.push(...this.parser.push(event));
      } catch (error) {
        this.failure = { error };
        break;
      }
    }
    return parts;
  }

  /**
   * Closes the stream. A body not done with is drained when the answer is whole, else cancelled and
   * its reader returned; a drain given up with a read still pending is cancelled without waiting on
   * return(), which would wait on that read.
   */
  private async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.finished) return;
    this.finished = true;
    if (this.answered && (await drain(this.events))) return;
    this.cancel();
    if (this.answered) void this.events.return?.()?.catch(() => undefined);
    else await this.events.return?.();
  }
}

/**
 * Reads a stream's first events until `enough` says so (its id is known, a part was made), then
 * hands the stream out: an error in those events (an error event first, a body with none) is
 * thrown by doStream itself, while the gateway can still retry or fall back. Events of the same
 * read past that point are parsed later, in order, so an error among them still comes after the
 * parts before it. `started` is told once enough has come (postStream's started(): the
 * connection's timeout covers the wait until then). On failure the upstream is released.
 */
export async function startChatStream<E>(
  events: AsyncIterator<readonly E[]>,
  parser: ChatStreamParser<E>,
  options: {
    cancel: () => void;
    started: () => void;
    enough: (first: readonly ChatStreamPart[]) => boolean;
  },
): Promise<AsyncIterableIterator<ChatStreamPart>> {
  const first: ChatStreamPart[] = [];
  let rest: readonly E[] = [];
  let ended = false;
  try {
    read: for (;;) {
      const next = await events.next();
      if (next.done === true) {
        ended = true;
        first.push(...parser.end());
        break;
      }
      const batch = next.value;
      for (let i = 0; i < batch.length; i++) {
        first.push(...parser.push(batch[i]!));
        if (options.enough(first)) {
          rest = batch.slice(i + 1);
          break read;
        }
      }
    }
  } catch (error) {
    options.cancel();
    await events.return?.();
    throw error;
  }
  options.started();
  return chatStreamParts(events, parser, { cancel: options.cancel, start: { first, rest, ended } });
}

/** How long, and how many reads, drain() waits for the body to end after the finish. */
const DRAIN_MS = 1000;
const DRAIN_READS = 8;

/**
 * Reads what follows the finish (normally only the end of the body) so the response completes and
 * its keep-alive socket goes back to the pool; destroying an unfinished body would close the
 * socket and cost undici an error object per call. Runs after the finish was yielded, and gives up
 * after DRAIN_MS or DRAIN_READS, so an upstream that keeps the answer open cannot hold the caller's
 * loop. True when the body ended; false when it had to be given up (the caller cancels it). A
 * failure here is not the caller's concern: the answer was whole.
 */
async function drain<E>(events: AsyncIterator<readonly E[]>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(resolve, DRAIN_MS, "late");
  });
  try {
    for (let i = 0; i < DRAIN_READS; i++) {
      const result = await Promise.race([events.next(), late]);
      if (result === "late") return false;
      if (result.done === true) return true;
    }
    return false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Cancels a stream whether or not its body was read. postStream's cancel() alone, on a body nobody
 * has started reading whose answer already came whole (a short HTML page, a short stream never
 * read), lets undici's RequestAbortedError go out as an uncaught exception: no one listens for it
 * yet. Asking for the first chunk first makes the body's reader listen, so the abort is a quiet end.
 * (To drop once http.ts's cancel() does this itself.)
 */
export function cancelStream(response: UpstreamStream): void {
  response.body[Symbol.asyncIterator]()
    .next()
    .catch(() => undefined);
  response.cancel();
}

/**
 * A 2xx stream whose content type says it is not what the format streams (an HTML page from a
 * proxy or a wrong base URL) fails before any part, as bad_response; no content type is let through.
 */
export function expectStreamContentType(
  response: UpstreamStream,
  expected: RegExp,
  what: string,
  where: string,
): void {
  const header = response.headers["content-type"];
  const type = Array.isArray(header) ? header[0] : header;
  if (type === undefined || expected.test(type)) return;
  cancelStream(response);
  const shown = type.split(";")[0]!.trim().slice(0, 80);
  throw new ProviderError(
    "bad_response",
    `${where} answered HTTP ${response.status} with ${shown}, not ${what}`,
    { status: response.status },
  );
}
