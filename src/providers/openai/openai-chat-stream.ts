import type { ChatStreamPart, ChatUsage, FinishReason } from "../chat-spec.js";
import { ProviderError } from "../errors.js";
import { generateToolCallId } from "../generate-tool-call-id.js";
import { type ChatStreamParser, startChatStream } from "../run-chat-stream-parser.js";
import type { SseEvent } from "../sse.js";
import { OPENAI_STREAM_END, parseOpenAIChunk } from "./parse-openai-chunk.js";

/**
 * OpenAI's SSE events as the gateway's parts: the deltas as they come, then exactly one finish with
 * the last finish_reason and the usage of the usage chunk (zeros when the upstream sent none: not
 * invented), given when `[DONE]` arrives. A body that ends without `[DONE]` is accepted when a
 * finish_reason came (some compatible servers leave it out) and is bad_response otherwise (the
 * stream was cut). A tool call whose upstream sent no id gets one on its first delta.
 */
export class OpenAIStreamParser implements ChatStreamParser<SseEvent> {
  id: string | undefined;
  private done = false;
  private sawEvent = false;
  private finishReason: FinishReason | undefined;
  private usage: ChatUsage | undefined;
  private readonly seenCalls = new Set<number>();

  constructor(
    private readonly where: string,
    private readonly secrets: readonly string[],
  ) {}

  push(event: SseEvent): ChatStreamPart[] {
    if (this.done) return [];
    this.sawEvent = true;
    const data = event.data;
    if (data === OPENAI_STREAM_END) return [this.finish()];
    if (data.length === 0) return []; // a keep-alive without a comment
    const reading = parseOpenAIChunk(data, this.where, this.secrets);
    if (this.id === undefined && reading.id !== undefined) this.id = reading.id;
    if (reading.finishReason !== undefined) this.finishReason = reading.finishReason;
    if (reading.usage !== undefined) this.usage = reading.usage;
    for (const part of reading.parts) {
      if (part.type === "tool-call-delta" && !this.seenCalls.has(part.index)) {
        this.seenCalls.add(part.index);
        if (part.id === undefined) part.id = generateToolCallId();
      }
    }
    return reading.parts;
  }

  end(): ChatStreamPart[] {
    if (this.done) return [];
    if (!this.sawEvent) {
      // A body with no event at all: an HTML page, or JSON from a server that ignored `stream`.
      throw new ProviderError("bad_response", `${this.where} answered the stream request without any event`);
    }
    if (this.finishReason === undefined) {
      throw new ProviderError("bad_response", `${this.where} ended the stream before it finished`);
    }
    return [this.finish()];
  }

  private finish(): ChatStreamPart {
    this.done = true;
    return {
      type: "finish",
      finishReason: this.finishReason ?? (this.seenCalls.size > 0 ? "tool_calls" : "stop"),
      usage: this.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    };
  }
}

/**
 * The stream of an OpenAI-format answer, once its first events have been read: so the id is known,
 * and an error in them (a first event that is `{error}` or not JSON, a body with no event at all) is
 * thrown before any part, while the gateway can still retry or fall back. Reading the parts to the
 * end, leaving early, or dropping them unread all release the upstream (`cancel`).
 */
export async function readOpenAIChatStream(
  events: AsyncIterable<readonly SseEvent[]>,
  context: {
    where: string;
    secrets: readonly string[];
    /** Releases the upstream (postStream's cancel); called however the stream ends, even unread. */
    cancel(): void;
    /** The first event came (postStream's started): the connection's timeout stops. */
    started(): void;
  },
): Promise<{ id?: string; parts: AsyncIterable<ChatStreamPart> }> {
  const parser = new OpenAIStreamParser(context.where, context.secrets);
  const parts = await startChatStream(events[Symbol.asyncIterator](), parser, {
    cancel: context.cancel,
    started: context.started,
    enough: (first) => parser.id !== undefined || first.length > 0,
  });
  return parser.id === undefined ? { parts } : { id: parser.id, parts };
}
