import type { ChatMessage, ChatRequest, ChatWarning, EmbeddingsRequest } from "../chat-spec.js";
import { isRecord } from "../http.js";

/**
 * ChatRequest -> the body of `POST /chat/completions`. The gateway speaks OpenAI's format already, so
 * this is a pass-through (messages and tools untouched, no copies: this is the hot path) with two
 * rules: `stream` and `stream_options` are ours (a stream asks for `include_usage`, so its last chunk
 * carries the usage), and `n` other than 1 is dropped with a warning, since a result holds one
 * choice. Other `extra` fields go through as sent: an OpenAI-compatible server honours or ignores
 * them as OpenAI would. An assistant message's reasoning blocks (its `thinking_blocks`) are not sent,
 * with a warning (see withoutReasoningBlocks).
 */
export function convertToOpenAIRequest(
  request: ChatRequest,
  options: { stream: boolean },
): { body: Record<string, unknown>; warnings: ChatWarning[] } {
  const warnings: ChatWarning[] = [];
  const extra = request.extra;
  const body: Record<string, unknown> = {
    ...extra,
    model: request.model,
    messages: withoutReasoningBlocks(request.messages, warnings),
    max_tokens: request.max_tokens,
    max_completion_tokens: request.max_completion_tokens,
    temperature: request.temperature,
    top_p: request.top_p,
    stop: request.stop,
    tools: request.tools,
    tool_choice: request.tool_choice,
    presence_penalty: request.presence_penalty,
    frequency_penalty: request.frequency_penalty,
    seed: request.seed,
    response_format: request.response_format,
    user: request.user,
  };
  if (extra !== undefined) {
    // Only when the caller sent them: deleting a field costs the object its fast shape.
    if ("n" in extra) {
      const n = extra.n;
      if (n !== undefined && n !== null && n !== 1) {
        warnings.push({ setting: "n", message: "only one choice is returned; n was not sent" });
      }
      delete body.n;
    }
    if ("stream" in extra) delete body.stream;
    if ("stream_options" in extra) delete body.stream_options;
  }
  if (options.stream) {
    const streamOptions = extra?.stream_options;
    body.stream = true;
    body.stream_options = isRecord(streamOptions)
      ? { ...streamOptions, include_usage: true }
      : { include_usage: true };
  }
  // JSON.stringify drops the undefined fields; deleting them here would cost more than it saves.
  return { body, warnings };
}

/**
 * The messages without their reasoning blocks, which are the gateway's field, not OpenAI's (an
 * upstream may refuse a message field it does not know), and which only Anthropic takes back. The
 * messages are copied only when one has them (the hot path), and only that message is rebuilt.
 */
function withoutReasoningBlocks(messages: ChatMessage[], warnings: ChatWarning[]): ChatMessage[] {
  let out: ChatMessage[] | undefined;
  let dropped = false;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role !== "assistant" || message.reasoningBlocks === undefined) continue;
    dropped ||= message.reasoningBlocks.length > 0;
    out ??= [...messages];
    const copy = { ...message };
    delete copy.reasoningBlocks;
    out[i] = copy;
  }
  if (dropped) {
    warnings.push({
      setting: "messages[].thinking_blocks",
      message: "OpenAI-format upstreams do not take thinking_blocks back; they were not sent",
    });
  }
  return out ?? messages;
}

/**
 * EmbeddingsRequest -> the body of `POST /embeddings`. `encoding_format` is the gateway's to apply
 * to the numbers it returns, so the upstream is asked for its default (floats) and the field is not
 * sent.
 */
export function convertToOpenAIEmbeddingsRequest(request: EmbeddingsRequest): Record<string, unknown> {
  return {
    model: request.model,
    input: request.input,
    dimensions: request.dimensions,
    user: request.user,
  };
}
