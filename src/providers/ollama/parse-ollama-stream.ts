import type { ChatStreamPart } from "../chat-spec.js";
import { ProviderError, sanitizeUpstreamText } from "../errors.js";
import { expectShape } from "../expect-shape.js";
import { isRecord } from "../http.js";
import type { ChatStreamParser } from "../run-chat-stream-parser.js";
import { mapOllamaFinishReason } from "./map-ollama-finish-reason.js";
import { mapOllamaUsage, OllamaChatValidator, readOllamaToolCalls } from "./parse-ollama-response.js";

/**
 * `/api/chat` NDJSON lines -> parts: message.thinking is a reasoning delta (a thinking model streams
 * its thinking before its content), message.content a text delta, message.tool_calls come whole
 * (one tool-call-delta each), and the `done: true` line, with done_reason and the counts, is the
 * finish. A `{"error": "..."}` line (the runner died mid-answer) throws.
 */
export class OllamaStreamParser implements ChatStreamParser<unknown> {
  #toolCount = 0;
  #done = false;
  #lines = 0;

  /** The lines read so far (the stream has started once one has come). */
  get lines(): number {
    return this.#lines;
  }

  constructor(
    private readonly where: string,
    private readonly secrets: readonly string[] = [],
  ) {}

  push(line: unknown): ChatStreamPart[] {
    if (this.#done) return [];
    if (isRecord(line) && typeof line.error === "string") {
      throw new ProviderError(
        "upstream_error",
        `${this.where} sent an error mid-stream: ${sanitizeUpstreamText(line.error, this.secrets)}`,
      );
    }
    const chunk = expectShape(OllamaChatValidator, line, `${this.where} (line ${this.#lines})`);
    this.#lines++;
    const parts: ChatStreamPart[] = [];
    const thinking = chunk.message?.thinking ?? "";
    if (thinking.length > 0) parts.push({ type: "reasoning-delta", delta: thinking });
    const content = chunk.message?.content ?? "";
    if (content.length > 0) parts.push({ type: "text-delta", delta: content });
    for (const call of readOllamaToolCalls(chunk)) {
      parts.push({
        type: "tool-call-delta",
        index: this.#toolCount++,
        id: call.id,
        name: call.function.name,
        argumentsDelta: call.function.arguments,
      });
    }
    if (chunk.done) {
      this.#done = true;
      parts.push({
        type: "finish",
        finishReason: mapOllamaFinishReason(chunk.done_reason, this.#toolCount > 0),
        usage: mapOllamaUsage(chunk),
      });
    }
    return parts;
  }

  end(): ChatStreamPart[] {
    if (!this.#done) throw new ProviderError("bad_response", `${this.where} ended the stream before done`);
    return [];
  }
}
