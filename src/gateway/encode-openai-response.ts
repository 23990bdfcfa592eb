import type { ChatLogprobs, ChatResult, ChatStreamPart, ChatUsage } from "../providers/chat-spec.js";
import { toThinkingBlocks } from "./thinking-blocks.js";

/**
 * A Chat Completions response as OpenAI writes it, from an adapter's result. `refusal` is always
 * there, null when the model did not refuse, as OpenAI writes it and its SDK types it (`string |
 * null`, not optional): a caller checking `message.refusal !== null` must not take an absent field for
 * a refusal. `logprobs` are the upstream's when the caller asked and it sent them, else null.
 * Reasoning blocks (Anthropic's) go as LiteLLM's `thinking_blocks`, beside `reasoning_content`.
 */
export function encodeChatCompletion(id: string, model: string, created: number, result: ChatResult) {
  return {
    id,
    object: "chat.completion" as const,
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content: result.text,
          refusal: result.refusal ?? null,
          ...(result.reasoning ? { reasoning_content: result.reasoning } : {}),
          ...(result.reasoningBlocks !== undefined && result.reasoningBlocks.length > 0
            ? { thinking_blocks: toThinkingBlocks(result.reasoningBlocks) }
            : {}),
          ...(result.toolCalls.length > 0 ? { tool_calls: result.toolCalls } : {}),
        },
        logprobs: result.logprobs ?? null,
        finish_reason: result.finishReason,
      },
    ],
    usage: result.usage,
  };
}

/**
 * Server-sent events in OpenAI's framing, one `data:` line per chunk, written as parts arrive: a role
 * chunk first, then deltas (reasoning as `reasoning_content`, DeepSeek's field, which the AI SDK and
 * other OpenAI-compatible clients read), the finish chunk, a usage chunk when asked for, and `[DONE]`.
 * Every chunk of a stream shares its id, created and model, so that head is serialized once and a
 * text delta (nearly every chunk) costs one JSON.stringify of its text: the same bytes as
 * stringifying the whole chunk object, without building it. A piece's logprobs (there only when the
 * caller asked an OpenAI-compatible upstream for them) go on that piece's chunk, as OpenAI writes
 * them, for one more stringify; a refusal goes out as `{"refusal": ...}` deltas, as OpenAI streams it.
 * Reasoning blocks go out as LiteLLM streams its `thinking_blocks` (see thinking-blocks.ts): a signed
 * piece of reasoning is also a one-piece thinking block on the same chunk, its signature a thinking
 * block with empty thinking, a redacted block whole; `reasoning_content` is as it was without them.
 */
export function createChunkEncoder(id: string, model: string, created: number, includeUsage: boolean) {
  const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":`;
  const choice = (delta: string, finishReason: string | null, logprobs?: ChatLogprobs) =>
    `${head}[{"index":0,"delta":${delta},"logprobs":${logprobs === undefined ? "null" : JSON.stringify(logprobs)},"finish_reason":${finishReason === null ? "null" : JSON.stringify(finishReason)}}]}\n\n`;
  return {
    start: () => choice('{"role":"assistant","content":""}', null),
    part(part: ChatStreamPart): string {
      switch (part.type) {
        case "text-delta":
          return choice(`{"content":${JSON.stringify(part.delta)}}`, null, part.logprobs);
        case "refusal-delta":
          return choice(`{"refusal":${JSON.stringify(part.delta)}}`, null, part.logprobs);
        case "reasoning-delta": {
          const text = JSON.stringify(part.delta);
          return choice(
            part.signed === true
              ? `{"reasoning_content":${text},"thinking_blocks":[{"type":"thinking","thinking":${text}}]}`
              : `{"reasoning_content":${text}}`,
            null,
          );
        }
        case "reasoning-signature":
          return choice(
            JSON.stringify({
              thinking_blocks: [{ type: "thinking", thinking: "", signature: part.signature }],
            }),
            null,
          );
        case "redacted-reasoning":
          return choice(
            JSON.stringify({ thinking_blocks: [{ type: "redacted_thinking", data: part.data }] }),
            null,
          );
        case "tool-call-delta":
          return choice(
            JSON.stringify({
              tool_calls: [
                {
                  index: part.index,
                  ...(part.id ? { id: part.id, type: "function" } : {}),
                  function: { ...(part.name ? { name: part.name } : {}), arguments: part.argumentsDelta },
                },
              ],
            }),
            null,
          );
        case "finish":
          return (
            choice("{}", part.finishReason) +
            (includeUsage ? `${head}[],"usage":${JSON.stringify(part.usage satisfies ChatUsage)}}\n\n` : "") +
            "data: [DONE]\n\n"
          );
      }
    },
    /** An error after the stream started: OpenAI's envelope as a last event, as its own API does. */
    error: (message: string, type: string) =>
      `data: ${JSON.stringify({ error: { message, type, param: null, code: null } })}\n\n`,
  };
}
