import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceMessage, type ParseError } from "eventsource-parser";
import { ProviderError, sanitizeUpstreamText } from "./errors.js";

/**
 * Reading a streamed body (postStream's `body`) as the events it carries: SSE for OpenAI, Anthropic
 * and Google, newline-delimited JSON for Ollama. Both decode UTF-8 across chunk boundaries (a
 * character split between two chunks is kept whole), hand over the events a chunk completes as
 * soon as it has arrived, as one array (never empty), and stop reading the body when the caller
 * stops iterating (which cancels the upstream). Arrays rather than single events: a read often
 * completes several events, and each step of an async iteration costs promises and allocations on
 * the gateway's hot path, so the steps go by chunk, not by event.
 */

/** One SSE event: `event` is absent when the server named none (the default "message"). */
export interface SseEvent {
  event?: string;
  data: string;
}

export interface StreamReadOptions {
  /** For messages: host/path or the target's label, as describeTarget gives it. Default "the upstream". */
  where?: string;
  /** Redacted from any excerpt of what the upstream sent. */
  secrets?: readonly string[];
  /** The longest event (SSE) or line (NDJSON) buffered, in characters; default 16 MiB. Beyond: bad_response. */
  maxEventChars?: number;
}

const DEFAULT_MAX_EVENT_CHARS = 16 * 1024 * 1024;

/**
 * A body's text, chunk by chunk: UTF-8 split anywhere is kept whole, and a leading byte-order mark
 * is dropped, as TextDecoder does (eventsource-parser would take it for part of the first field
 * name). StringDecoder rather than TextDecoder: it is about a quarter of the cost per stream.
 */
class Utf8Text {
  private readonly decoder = new StringDecoder("utf8");
  private started = false;

  read(chunk: Uint8Array): string {
    return this.leading(this.decoder.write(chunk));
  }

  end(): string {
    return this.leading(this.decoder.end());
  }

  private leading(text: string): string {
    if (this.started || text.length === 0) return text;
    this.started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/**
 * The SSE events of a byte stream, on eventsource-parser: LF, CR and CRLF line ends, `:` comments
 * skipped, multi-line `data:` joined with "\n", `id:` and `retry:` ignored. An event is dispatched
 * by its blank line, so an incomplete last event (the stream cut mid-event) is dropped, as the SSE
 * spec says; the caller notices the missing end (OpenAI's `[DONE]`, Anthropic's `message_stop`).
 */
export async function* readSseEvents(
  body: AsyncIterable<Uint8Array>,
  options: StreamReadOptions = {},
): AsyncIterable<SseEvent[]> {
  const maxChars = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  const text = new Utf8Text();
  let ready: SseEvent[] = [];
  let overflow: ParseError | undefined;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      ready.push(
        message.event === undefined ? { data: message.data } : { event: message.event, data: message.data },
      );
    },
    onError(error) {
      // Unknown fields and bad `retry:` values are ignorable; only an overflow stops the parser.
      if (error.type === "max-buffer-size-exceeded") overflow = error;
    },
    maxBufferSize: maxChars,
  });

  const feed = (text: string) => {
    if (text.length === 0) return;
    parser.feed(text);
    if (overflow !== undefined) {
      throw new ProviderError(
        "bad_response",
        `${options.where ?? "the upstream"} sent an event longer than ${maxChars} characters`,
        { cause: overflow },
      );
    }
  };

  for await (const chunk of body) {
    feed(text.read(chunk));
    if (ready.length > 0) {
      const events = ready;
      ready = [];
      yield events;
    }
  }
  feed(text.end());
  if (ready.length > 0) yield ready;
}

/**
 * One JSON value per line (Ollama's streaming format), lines split anywhere across chunks; LF or
 * CRLF, blank lines skipped, a last line without its newline still read. A line that is not JSON is
 * bad_response with a sanitized excerpt.
 */
export async function* readNdjson(
  body: AsyncIterable<Uint8Array>,
  options: StreamReadOptions = {},
): AsyncIterable<unknown[]> {
  const maxChars = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  const where = options.where ?? "the upstream";
  const text = new Utf8Text();
  let pending = "";

  const parseLine = (line: string): unknown => {
    try {
      return JSON.parse(line) as unknown;
    } catch (error) {
      const excerpt = sanitizeUpstreamText(line, options.secrets ?? []);
      throw new ProviderError("bad_response", `${where} sent a line that is not JSON: ${excerpt}`, {
        cause: error,
      });
    }
  };

  for await (const chunk of body) {
    pending += text.read(chunk);
    const values: unknown[] = [];
    let start = 0;
    try {
      for (let end = pending.indexOf("\n"); end !== -1; end = pending.indexOf("\n", start)) {
        const line = pending.slice(start, end).trim();
        start = end + 1;
        if (line.length > 0) values.push(parseLine(line));
      }
    } catch (error) {
      if (values.length > 0) yield values; // the lines before the bad one still count
      throw error;
    }
    pending = start === 0 ? pending : pending.slice(start);
    if (values.length > 0) yield values;
    if (pending.length > maxChars) {
      throw new ProviderError("bad_response", `${where} sent a line longer than ${maxChars} characters`);
    }
  }
  const last = (pending + text.end()).trim();
  if (last.length > 0) yield [parseLine(last)];
}
