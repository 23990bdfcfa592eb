import type {
  ChatLogprobs,
  ChatStreamPart,
  ChatTokenLogprob,
  ChatUsage,
  FinishReason,
} from "../chat-spec.js";
import { ProviderError, sanitizeUpstreamText } from "../errors.js";
import { isRecord } from "../http.js";
import { optionalString } from "../read-model-fields.js";
import { chatUsage, readTokenCount } from "../token-count.js";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";

/**
 * One `chat.completion.chunk` of OpenAI's stream, read into the gateway's terms:
 *
 *     {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o",
 *      "choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}
 *
 * `delta.content` becomes a text-delta, `delta.reasoning_content` a reasoning-delta, `delta.refusal` a
 * refusal-delta, each `delta.tool_calls[]` entry a tool-call-delta (the first of a call carries id
 * and name, later ones append arguments); the choice's `logprobs` ride on the chunk's text-delta
 * (else its refusal-delta), so they go out on one chunk with the tokens they describe.
 * `finish_reason` and `usage` (the last chunk, `choices: []`, when `stream_options.include_usage` was
 * asked) are handed back rather than turned into a finish part: the finish comes once, at the end
 * (see openai-chat-stream.ts). Only the first choice is read (the request never asks for more).
 * Checked by hand, not by a schema: this runs for every token.
 */

export interface OpenAIChunkReading {
  id?: string;
  parts: ChatStreamPart[];
  finishReason?: FinishReason;
  usage?: ChatUsage;
}

/** `[DONE]`, the data of the event that ends OpenAI's stream. */
export const OPENAI_STREAM_END = "[DONE]";

/**
 * `data` is the text of one SSE event other than `[DONE]`; `where` (host/path) and `secrets` are for
 * messages. A chunk that is not JSON or not an object is bad_response; an `{error: {...}}` chunk
 * (OpenAI sends one when a stream fails midway) is upstream_error with its sanitized message.
 */
export function parseOpenAIChunk(
  data: string,
  where: string,
  secrets: readonly string[],
): OpenAIChunkReading {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data) as unknown;
  } catch (error) {
    throw new ProviderError(
      "bad_response",
      `${where} sent a stream event that is not JSON: ${sanitizeUpstreamText(data, secrets)}`,
      { cause: error },
    );
  }
  if (!isRecord(chunk)) {
    throw new ProviderError("bad_response", `${where} sent a stream event that is not an object`);
  }
  if (chunk.error !== undefined && chunk.error !== null) throw streamedError(chunk.error, where, secrets);

  const reading: OpenAIChunkReading = { parts: [] };
  if (typeof chunk.id === "string" && chunk.id.length > 0) reading.id = chunk.id;
  const usage = parseOpenAIUsage(chunk.usage);
  if (usage !== undefined) reading.usage = usage;

  const choices = chunk.choices;
  if (!Array.isArray(choices)) return reading;
  const choice: unknown = choices.find(
    (c: unknown) => isRecord(c) && (c.index === undefined || c.index === 0),
  );
  if (!isRecord(choice)) return reading;

  // Undefined on nearly every chunk (`"logprobs": null` unless the caller asked for them).
  let logprobs = readLogprobs(choice.logprobs);
  const delta = choice.delta;
  if (isRecord(delta)) {
    const reasoning = readReasoning(delta);
    if (reasoning !== undefined) reading.parts.push({ type: "reasoning-delta", delta: reasoning });
    if (typeof delta.content === "string" && delta.content.length > 0) {
      reading.parts.push(piece("text-delta", delta.content, logprobs));
      logprobs = undefined;
    }
    const refusal = readRefusal(delta);
    if (refusal !== undefined) {
      reading.parts.push(piece("refusal-delta", refusal, logprobs));
      logprobs = undefined;
    }
    if (Array.isArray(delta.tool_calls)) {
      delta.tool_calls.forEach((call: unknown, position: number) => {
        const part = toolCallDelta(call, position);
        if (part !== undefined) reading.parts.push(part);
      });
    }
  }
  if (logprobs !== undefined && countTokens(logprobs) > 0) {
    // Logprobs on a chunk with no text of its own (a few compatible servers send them apart from
    // the content): an empty piece carries them, so the caller still gets them, on a chunk of their
    // own. A refusal's tokens go on a refusal piece, so a client that reads them as the refusal's does.
    reading.parts.push(piece(logprobs.content === null ? "refusal-delta" : "text-delta", "", logprobs));
  }
  if (typeof choice.finish_reason === "string" && choice.finish_reason.length > 0) {
    reading.finishReason = mapOpenAIFinishReason(choice.finish_reason);
  }
  return reading;
}

/**
 * The reasoning a message or delta carries apart from its content: DeepSeek's `reasoning_content`
 * (also vLLM's and LM Studio's), or `reasoning` (OpenRouter, newer vLLM, Ollama's OpenAI endpoint).
 * Undefined when there is none, so a chunk of only `"reasoning_content": null` adds no part.
 */
export function readReasoning(message: Record<string, unknown>): string | undefined {
  return optionalString(message.reasoning_content ?? message.reasoning);
}

/**
 * OpenAI's structured-outputs refusal (`message.refusal`, `delta.refusal`); undefined when there is
 * none, so the role chunk's `"refusal": ""` or `null` adds no part.
 */
export function readRefusal(message: Record<string, unknown>): string | undefined {
  return optionalString(message.refusal);
}

/**
 * OpenAI's `choice.logprobs`, `{content: [token...] | null, refusal: [token...] | null}`, checked by
 * hand (this runs for every streamed token; the whole response's schema leaves it unknown) and
 * rebuilt in exactly that shape. Undefined when absent, null, listing nothing, or malformed: a
 * malformed one is dropped rather than failing an answer whose text is fine, since logprobs are an
 * extra the caller asked for and a compatible server's deviation in them should not cost the answer.
 * Deviations that lose nothing are read: llama.cpp's extra `id`, `bytes` or `top_logprobs` left out
 * (Ollama omits empty ones; they read as null and []). A list with one unreadable token is dropped
 * whole, never passed on with tokens missing.
 */
export function readLogprobs(value: unknown): ChatLogprobs | undefined {
  if (!isRecord(value)) return undefined;
  const content = tokenLogprobs(value.content);
  if (content === undefined) return undefined;
  if (value.refusal === undefined) return content === null ? undefined : { content };
  const refusal = tokenLogprobs(value.refusal);
  if (refusal === undefined || (content === null && refusal === null)) return undefined;
  return { content, refusal };
}

function countTokens(logprobs: ChatLogprobs): number {
  return (logprobs.content?.length ?? 0) + (logprobs.refusal?.length ?? 0);
}

/** A list of token logprobs: null when absent or null, undefined when it is not one. */
function tokenLogprobs(value: unknown): ChatTokenLogprob[] | null | undefined {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) return undefined;
  const tokens: ChatTokenLogprob[] = [];
  for (const item of value as unknown[]) {
    const token = topLogprob(item);
    if (token === undefined) return undefined;
    const top = (item as Record<string, unknown>).top_logprobs;
    if (top === undefined || top === null) {
      tokens.push({ ...token, top_logprobs: [] });
      continue;
    }
    if (!Array.isArray(top)) return undefined;
    const alternatives: ChatTokenLogprob["top_logprobs"] = [];
    for (const entry of top as unknown[]) {
      const alternative = topLogprob(entry);
      if (alternative === undefined) return undefined;
      alternatives.push(alternative);
    }
    tokens.push({ ...token, top_logprobs: alternatives });
  }
  return tokens;
}

/** `{token, logprob, bytes}`, the part a token and each of its alternatives share. */
function topLogprob(value: unknown): ChatTokenLogprob["top_logprobs"][number] | undefined {
  if (!isRecord(value) || typeof value.token !== "string" || typeof value.logprob !== "number") {
    return undefined;
  }
  const bytes = value.bytes;
  if (bytes === undefined || bytes === null) {
    return { token: value.token, logprob: value.logprob, bytes: null };
  }
  if (!Array.isArray(bytes) || !(bytes as unknown[]).every((byte) => Number.isInteger(byte))) {
    return undefined;
  }
  return { token: value.token, logprob: value.logprob, bytes: bytes as number[] };
}

/**
 * OpenAI's usage object; undefined when absent or null (every chunk but the last carries
 * `"usage": null`). A total the upstream left out is the sum of the two counts.
 */
export function parseOpenAIUsage(value: unknown): ChatUsage | undefined {
  if (!isRecord(value)) return undefined;
  return chatUsage(
    readTokenCount(value.prompt_tokens),
    readTokenCount(value.completion_tokens),
    value.total_tokens,
  );
}

/** A text or refusal piece, with the chunk's logprobs when it has them (no `logprobs` key otherwise). */
function piece(
  type: "text-delta" | "refusal-delta",
  delta: string,
  logprobs: ChatLogprobs | undefined,
): ChatStreamPart {
  return logprobs === undefined ? { type, delta } : { type, delta, logprobs };
}

function toolCallDelta(call: unknown, position: number): ChatStreamPart | undefined {
  if (!isRecord(call)) return undefined;
  const fn = isRecord(call.function) ? call.function : {};
  const part: Extract<ChatStreamPart, { type: "tool-call-delta" }> = {
    type: "tool-call-delta",
    // Some compatible servers leave out the index when they send each call whole.
    index: typeof call.index === "number" && Number.isInteger(call.index) ? call.index : position,
    argumentsDelta: typeof fn.arguments === "string" ? fn.arguments : "",
  };
  if (typeof call.id === "string" && call.id.length > 0) part.id = call.id;
  if (typeof fn.name === "string" && fn.name.length > 0) part.name = fn.name;
  if (fn.arguments !== undefined && fn.arguments !== null && typeof fn.arguments !== "string") {
    // Arguments sent as an object (a few compatible servers) are still JSON to the caller.
    part.argumentsDelta = JSON.stringify(fn.arguments);
  }
  return part;
}

function streamedError(error: unknown, where: string, secrets: readonly string[]): ProviderError {
  const message =
    isRecord(error) && typeof error.message === "string" ? error.message : JSON.stringify(error);
  const excerpt = sanitizeUpstreamText(message, secrets);
  return new ProviderError("upstream_error", `${where} failed mid-stream${excerpt ? `: ${excerpt}` : ""}`);
}
