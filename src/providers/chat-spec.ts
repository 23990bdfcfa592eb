import type { ProviderTarget } from "./spec.js";
import type { CancelSignal } from "./cancel-signal.js";

/**
 * The chat half of the adapter interface (vercel/ai's doGenerate / doStream, versioned). The gateway
 * speaks OpenAI's Chat Completions to its callers, so the prompt comes in that shape already parsed
 * and validated; each adapter converts it to its wire format and back. Streams are typed parts that
 * end in exactly one `finish` with the usage and the finish reason.
 */

export type ChatRole = "system" | "developer" | "user" | "assistant" | "tool";

export type ChatContentPart =
  | { type: "text"; text: string }
  /** A URL (https: or data:), as OpenAI's image_url part carries it. */
  | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } };

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/**
 * Reasoning the upstream wants back as it gave it, block by block, to go on reasoning in a later turn
 * (Anthropic's thinking and redacted_thinking blocks, which a tool loop must hand back with the
 * assistant turn). The signature and the redacted data are opaque: passed through byte for byte,
 * never read. Callers see these as LiteLLM's `thinking_blocks` (see gateway/thinking-blocks.ts).
 */
export type ChatReasoningBlock =
  /** Readable reasoning and the upstream's signature over it (absent when a caller sent none back). */
  | { type: "reasoning"; text: string; signature?: string }
  /** Reasoning the upstream sent encrypted: nothing to read, only to hand back. */
  | { type: "redacted-reasoning"; data: string };

export type ChatMessage =
  | { role: "system" | "developer"; content: string | ChatContentPart[]; name?: string }
  | { role: "user"; content: string | ChatContentPart[]; name?: string }
  | {
      role: "assistant";
      /** Left out (or null) by OpenAI's clients when the message only calls tools. */
      content?: string | ChatContentPart[] | null;
      tool_calls?: ChatToolCall[];
      name?: string;
      /**
       * The turn's reasoning blocks as a result gave them (ChatResult.reasoningBlocks), handed back by
       * the caller; absent when there are none. A wire format that cannot take them back warns.
       */
      reasoningBlocks?: ChatReasoningBlock[];
    }
  | { role: "tool"; content: string | ChatContentPart[]; tool_call_id: string };

export interface ChatTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ChatToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } };

/** The request as the gateway passes it down: OpenAI's fields, the model already resolved. */
export interface ChatRequest {
  /** The upstream model id (the part after `<connection>/`, or the connection's default model). */
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  response_format?: { type: "text" | "json_object" | "json_schema"; json_schema?: Record<string, unknown> };
  user?: string;
  /** Other OpenAI fields the caller sent; an adapter that cannot honour one reports a warning. */
  extra?: Record<string, unknown>;
}

/** OpenAI's finish reasons, which every adapter maps its own into. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** A setting the upstream cannot honour, reported to the caller (X-Switchyard-Warnings), never dropped silently. */
export interface ChatWarning {
  /** The request field, e.g. "presence_penalty". */
  setting: string;
  message: string;
}

/**
 * One token's log probability, as OpenAI's `choice.logprobs` lists them: `bytes` is the token's UTF-8
 * (null when it has none, and when a compatible server leaves it out), `top_logprobs` the most likely
 * tokens at that position, as many as the caller's `top_logprobs` asked (0-20).
 */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

/**
 * OpenAI's `choice.logprobs`: the tokens of the content, and of the refusal when the model refused.
 * Only OpenAI-compatible upstreams answer `logprobs: true` (the other adapters warn that it was not
 * sent), so this is OpenAI's shape, carried through from them. `refusal` is absent when the upstream
 * left it out (OpenAI writes null; vLLM lists only `content`).
 */
export interface ChatLogprobs {
  content: ChatTokenLogprob[] | null;
  refusal?: ChatTokenLogprob[] | null;
}

export interface ChatResult {
  /** The upstream's response id when it has one. */
  id?: string;
  /** null when the model answered only with tool calls or a refusal. */
  text: string | null;
  /**
   * OpenAI's structured-outputs refusal: the model declined, `text` is null and this says why.
   * Absent when there is none; answered as `message.refusal`, which a caller must see rather than an
   * empty answer.
   */
  refusal?: string;
  /**
   * The model's reasoning when the upstream returned it apart from the answer (DeepSeek's
   * `reasoning_content`, Anthropic's thinking blocks, Gemini's thought parts, Ollama's `thinking`);
   * absent otherwise. Answered as `reasoning_content`, the field OpenAI-compatible clients read.
   */
  reasoning?: string;
  /**
   * The reasoning as the blocks the upstream wants back to go on reasoning (see ChatReasoningBlock),
   * in the upstream's order; absent when it sent none (only Anthropic does). Answered as
   * `thinking_blocks` beside `reasoning_content`.
   */
  reasoningBlocks?: ChatReasoningBlock[];
  toolCalls: ChatToolCall[];
  finishReason: FinishReason;
  usage: ChatUsage;
  warnings: ChatWarning[];
  /** The log probabilities the caller asked for (`logprobs: true`), when the upstream sent them. */
  logprobs?: ChatLogprobs;
}

/** One event of a stream, translated as it arrives (never buffered to the end). */
export type ChatStreamPart =
  /**
   * A piece of the answer. `logprobs` are those of this piece's tokens, carried on the same part so
   * that they go out on the same chunk, as OpenAI streams them. A part with `delta: ""` carries only
   * logprobs, from a compatible server that sent them on a chunk of their own.
   */
  | { type: "text-delta"; delta: string; logprobs?: ChatLogprobs }
  /** A piece of a refusal (see ChatResult.refusal), with its tokens' logprobs like a text-delta. */
  | { type: "refusal-delta"; delta: string; logprobs?: ChatLogprobs }
  /**
   * A piece of the model's reasoning (see ChatResult.reasoning), streamed before or between the text.
   * `signed` when the piece belongs to a reasoning block (ChatResult.reasoningBlocks): the block's
   * pieces come back to back and a `reasoning-signature` closes it.
   */
  | { type: "reasoning-delta"; delta: string; signed?: boolean }
  /** The signature of the reasoning block whose signed pieces came since the last one. */
  | { type: "reasoning-signature"; signature: string }
  /** A redacted reasoning block (see ChatReasoningBlock), whole: it has nothing to stream. */
  | { type: "redacted-reasoning"; data: string }
  /**
   * A piece of a tool call, as OpenAI streams them: the first part of a call carries `id` and `name`,
   * later parts append to `argumentsDelta`; `index` tells calls apart.
   */
  | { type: "tool-call-delta"; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: "finish"; finishReason: FinishReason; usage: ChatUsage };

export interface ChatStream {
  /** Known before the first part: what the upstream will not honour. */
  warnings: ChatWarning[];
  /** The upstream's response id when it has one. */
  id?: string;
  parts: AsyncIterable<ChatStreamPart>;
}

export interface EmbeddingsRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: "float" | "base64";
  user?: string;
}

export interface EmbeddingsResult {
  embeddings: number[][];
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * What a chat-capable adapter adds. Failures are ProviderError (status, isRetryable, sanitized
 * message); an aborted signal (the client went away) cancels the upstream call. doStream resolves
 * once the upstream has answered with success headers, so errors before the first byte can still be
 * retried or answered as JSON; errors after that end the part iterator by throwing.
 */
export interface ChatAdapter {
  readonly specificationVersion: "v1";
  doGenerate(target: ProviderTarget, request: ChatRequest, signal?: CancelSignal): Promise<ChatResult>;
  doStream(target: ProviderTarget, request: ChatRequest, signal?: CancelSignal): Promise<ChatStream>;
  /** Undefined where the wire format has no embeddings endpoint. */
  doEmbed?(
    target: ProviderTarget,
    request: EmbeddingsRequest,
    signal?: CancelSignal,
  ): Promise<EmbeddingsResult>;
}
