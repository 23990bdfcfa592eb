import type { ChatStreamPart, ChatUsage, FinishReason } from "../chat-spec.js";
import { ProviderError } from "../errors.js";
import { generateToolCallId } from "../generate-tool-call-id.js";
import type { SseEvent } from "../sse.js";
import { OPENAI_STREAM_END, parseOpenAIChunk, type OpenAIChunkReading } from "./parse-openai-chunk.js";

const NO_USAGE: ChatUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/**
 * OpenAI's SSE events as the gateway's stream: the deltas as they come, then exactly one finish with
 * the last finish_reason and the usage of the usage chunk (zeros when the upstream sent none: not
 * invented). Resolves once the first chunk has been read, so its id is known and an error in it
 * (a first event that is `{error}` or not JSON) is still thrown before any part. `[DONE]` ends the
 * stream; a body that ends without it is accepted when a finish_reason came (some compatible
 * servers leave `[DONE]` out) and is bad_response otherwise (the stream was cut).
 */
export async function readOpenAIChatStream(
  events: AsyncIterable<SseEvent>,
  context: {
    where: string;
    secrets: readonly string[];
    /** Releases the upstream (postStream's cancel); called however the stream ends, even unread. */
    cancel(): void;
  },
): Promise<{ id?: string; parts: AsyncIterable<ChatStreamPart> }> {
  const { where, secrets } = context;
  const iterator = events[Symbol.asyncIterator]();

  /** The next chunk; "end" for `[DONE]`, undefined when the body ended without it. */
  const next = async (): Promise<OpenAIChunkReading | "end" | undefined> => {
    for (;;) {
      const result = await iterator.next();
      if (result.done === true) return undefined;
      const data = result.value.data;
      if (data === OPENAI_STREAM_END) return "end";
      if (data.length === 0) continue; // a keep-alive without a comment
      return parseOpenAIChunk(data, where, secrets);
    }
  };

  let first: OpenAIChunkReading | "end" | undefined;
  try {
    first = await next();
  } catch (error) {
    context.cancel();
    throw error;
  }
  if (first === undefined) {
    // A body with no event at all: an HTML page, or JSON from a server that ignored `stream`.
    context.cancel();
    throw new ProviderError("bad_response", `${where} answered the stream request without any event`);
  }

  async function* parts(): AsyncGenerator<ChatStreamPart> {
    let finishReason: FinishReason | undefined;
    let usage: ChatUsage | undefined;
    /** Tool calls by index, for the id of a call whose upstream sent none. */
    const seenCalls = new Set<number>();
    let reading = first;
    try {
      while (reading !== undefined && reading !== "end") {
        for (const part of reading.parts) {
          if (part.type === "tool-call-delta" && !seenCalls.has(part.index)) {
            seenCalls.add(part.index);
            if (part.id === undefined) part.id = generateToolCallId();
          }
          yield part;
        }
        if (reading.finishReason !== undefined) finishReason = reading.finishReason;
        if (reading.usage !== undefined) usage = reading.usage;
        reading = await next();
      }
      if (reading === undefined && finishReason === undefined) {
        throw new ProviderError("bad_response", `${where} ended the stream before it finished`);
      }
      yield {
        type: "finish",
        finishReason: finishReason ?? (seenCalls.size > 0 ? "tool_calls" : "stop"),
        usage: usage ?? { ...NO_USAGE },
      };
      if (reading === "end") await drain(iterator);
    } finally {
      context.cancel();
    }
  }

  const id = first !== "end" ? first.id : undefined;
  const stream = closingOnReturn(parts(), context.cancel);
  return id === undefined ? { parts: stream } : { id, parts: stream };
}

/** How long, and how many events, drain() waits for the body to end after `[DONE]`. */
const DRAIN_MS = 1000;
const DRAIN_EVENTS = 8;

/**
 * Reads what follows `[DONE]` (normally only the end of the body) so the response completes and its
 * keep-alive socket goes back to the pool; destroying an unfinished body would close the socket and
 * cost undici an error object per call. Runs after the finish was yielded, and gives up (the
 * finally then cancels) after DRAIN_MS or DRAIN_EVENTS, so an upstream that keeps the answer open
 * cannot hold the caller's loop. A failure here is not the caller's concern.
 */
async function drain(iterator: AsyncIterator<SseEvent>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(resolve, DRAIN_MS, "late");
  });
  try {
    for (let i = 0; i < DRAIN_EVENTS; i++) {
      const result = await Promise.race([iterator.next(), late]);
      if (result === "late" || result.done === true) return;
    }
  } catch {
    // the answer was complete; the finally releases the upstream either way
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A generator's return() before its first next() skips its finally; this one also releases the
 * upstream then, so a stream dropped unread does not hold a socket.
 */
function closingOnReturn<T>(generator: AsyncGenerator<T>, cancel: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => generator.next(),
      async return(value?: unknown) {
        try {
          return await generator.return(value as T);
        } finally {
          cancel();
        }
      },
    }),
  };
}
