import type { ChatStreamPart } from "./chat-spec.js";
import { ProviderError } from "./errors.js";
import type { UpstreamStream } from "./http.js";

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

/**
 * The parts of a stream: a parser driven over the upstream's events, each part yielded as the event
 * that makes it arrives. `first` are parts made by events read before the stream was handed out
 * (doStream reads up to the first event to learn the response id). Leaving early (break, return(),
 * a parse error) cancels the upstream, even when the parts were never iterated at all (an async
 * generator's return() before its first next() would skip its finally, leaving the socket open).
 */
export function chatStreamParts<E>(
  events: AsyncIterator<E>,
  parser: ChatStreamParser<E>,
  options: { cancel: () => void; first?: readonly ChatStreamPart[] },
): AsyncIterableIterator<ChatStreamPart> {
  const generator = drive(events, parser, options.first ?? [], options.cancel);
  return {
    next: () => generator.next(),
    async return(value?: unknown) {
      options.cancel();
      await generator.return(undefined);
      return { done: true, value: value as undefined };
    },
    async throw(error?: unknown) {
      options.cancel();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* drive<E>(
  events: AsyncIterator<E>,
  parser: ChatStreamParser<E>,
  first: readonly ChatStreamPart[],
  cancel: () => void,
): AsyncGenerator<ChatStreamPart, undefined> {
  let ended = false;
  try {
    for (const part of first) yield part;
    for (;;) {
      const next = await events.next();
      if (next.done === true) break;
      for (const part of parser.push(next.value)) yield part;
    }
    ended = true;
    for (const part of parser.end()) yield part;
  } finally {
    if (!ended) {
      cancel();
      await events.return?.();
    }
  }
  return undefined;
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
