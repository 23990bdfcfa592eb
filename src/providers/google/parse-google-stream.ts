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
 * carries finishReason and the usage (earlier ones may carry partial usage; the latest wins), and
 * the finish is made from it at once: an upstream that keeps the body open after it must not hold
 * a whole answer back. A finishReason that comes without usage waits for a chunk that has it, or
 * for the end, so the count is not lost. A blocked prompt finishes at once. An `{"error": ...}`
 * chunk throws.
 */
export class GoogleStreamParser implements ChatStreamParser<SseEvent> {
  /** Gemini's responseId, once a chunk has carried it. */
  id: string | undefined;
  #usage: GoogleUsageMetadata | undefined;
  #finishReason: string | undefined;
  #blockReason: string | undefined;
  #toolCount = 0;
  #chunks = 0;
  #finished = false;

  constructor(
    private readonly where: string,
    private readonly secrets: readonly string[] = [],
  ) {}

  push(event: SseEvent): ChatStreamPart[] {
    if (this.#finished) return [];
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
    const parts = reading.pieces.map((piece): ChatStreamPart => {
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
    const finished =
      this.#blockReason !== undefined ||
      (this.#finishReason !== undefined && chunk.usageMetadata !== undefined);
    if (finished) parts.push(this.#finish());
    return parts;
  }

  end(): ChatStreamPart[] {
    if (this.#finished) return [];
    if (this.#blockReason === undefined && this.#finishReason === undefined) {
      throw new ProviderError("bad_response", `${this.where} ended the stream without a finishReason`);
    }
    return [this.#finish()];
  }

  #finish(): ChatStreamPart {
    this.#finished = true;
    return {
      type: "finish",
      finishReason:
        this.#blockReason !== undefined
          ? "content_filter"
          : mapGoogleFinishReason(this.#finishReason!, this.#toolCount > 0),
      usage: mapGoogleUsage(this.#usage),
    };
  }
}
