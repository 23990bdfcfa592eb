import type { ChatStreamPart } from "../chat-spec.js";
import { ProviderError } from "../errors.js";
import { expectShape } from "../expect-shape.js";
import { isRecord } from "../http.js";
import type { ChatStreamParser } from "../run-chat-stream-parser.js";
import type { SseEvent } from "../sse.js";
import { googleStreamError } from "./google-error.js";
import { mapGoogleFinishReason } from "./map-google-finish-reason.js";
import { mapGoogleUsage, type GoogleUsageMetadata } from "./map-google-usage.js";
import { GoogleResponseValidator, readGoogleCandidate } from "./parse-google-response.js";

/**
 * `streamGenerateContent?alt=sse` -> parts. Every `data:` is a whole GenerateContentResponse: its
 * parts become parts in the order they come, text as text deltas, thought summaries (`thought:
 * true`, sent when includeThoughts was asked) as reasoning deltas; a functionCall comes whole in
 * one chunk, so it is one tool-call-delta with id, name and all its arguments. The last chunk
 * carries finishReason and the usage (earlier ones may carry partial usage; the latest wins); the
 * finish part is made when the stream ends, so no later chunk's usage is missed. An
 * `{"error": ...}` chunk throws.
 */
export class GoogleStreamParser implements ChatStreamParser<SseEvent> {
  /** Gemini's responseId, once a chunk has carried it. */
  id: string | undefined;
  #usage: GoogleUsageMetadata | undefined;
  #finishReason: string | undefined;
  #blockReason: string | undefined;
  #toolCount = 0;
  #chunks = 0;

  constructor(
    private readonly where: string,
    private readonly secrets: readonly string[] = [],
  ) {}

  push(event: SseEvent): ChatStreamPart[] {
    let data: unknown;
    try {
      data = JSON.parse(event.data) as unknown;
    } catch {
      throw new ProviderError("bad_response", `${this.where} sent an event that is not JSON`);
    }
    if (isRecord(data) && data.error !== undefined) throw googleStreamError(data, this.where, this.secrets);
    const chunk = expectShape(GoogleResponseValidator, data, `${this.where} (chunk ${this.#chunks})`);
    this.#chunks++;
    this.id ??= chunk.responseId;
    if (chunk.usageMetadata !== undefined) this.#usage = chunk.usageMetadata;

    const reading = readGoogleCandidate(chunk);
    if (reading.finishReason !== undefined) this.#finishReason = reading.finishReason;
    if (reading.blockReason !== undefined) this.#blockReason = reading.blockReason;
    return reading.pieces.map((piece): ChatStreamPart => {
      if (piece.type === "text") return { type: "text-delta", delta: piece.text };
      if (piece.type === "reasoning") return { type: "reasoning-delta", delta: piece.text };
      return {
        type: "tool-call-delta",
        index: this.#toolCount++,
        id: piece.call.id,
        name: piece.call.function.name,
        argumentsDelta: piece.call.function.arguments,
      };
    });
  }

  end(): ChatStreamPart[] {
    if (this.#blockReason !== undefined) {
      return [{ type: "finish", finishReason: "content_filter", usage: mapGoogleUsage(this.#usage) }];
    }
    if (this.#finishReason === undefined) {
      throw new ProviderError("bad_response", `${this.where} ended the stream without a finishReason`);
    }
    return [
      {
        type: "finish",
        finishReason: mapGoogleFinishReason(this.#finishReason, this.#toolCount > 0),
        usage: mapGoogleUsage(this.#usage),
      },
    ];
  }
}
