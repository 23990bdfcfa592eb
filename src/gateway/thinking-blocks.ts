import type { ChatMessage, ChatReasoningBlock } from "../providers/chat-spec.js";
import type { ChatCompletionRequest, ThinkingBlocks } from "./openai-request.schemas.js";

/**
 * LiteLLM's `thinking_blocks` (docs.litellm.ai/docs/reasoning_content), the adapters' reasoning
 * blocks in the shape OpenAI-style clients already hand back: an answer's message carries them beside
 * `reasoning_content` (`{type: "thinking", thinking, signature}`, `{type: "redacted_thinking", data}`,
 * in the upstream's order), and a client that passes the assistant message back verbatim sends them
 * again, which is what lets Anthropic go on thinking in a tool loop. Streamed, they come as LiteLLM
 * streams them (see encode-openai-response.ts): each piece of a thinking block as a block of its own
 * holding that piece, the signature as one with empty thinking that closes the block, a redacted
 * block whole.
 */

export type ThinkingBlock = ThinkingBlocks[number];

/** An answer's reasoning blocks as its message's `thinking_blocks`; signatures and data as they came. */
export function toThinkingBlocks(blocks: readonly ChatReasoningBlock[]): ThinkingBlock[] {
  return blocks.map((block) =>
    block.type === "redacted-reasoning"
      ? { type: "redacted_thinking", data: block.data }
      : {
          type: "thinking",
          thinking: block.text,
          ...(block.signature !== undefined ? { signature: block.signature } : {}),
        },
  );
}

function toReasoningBlock(block: ThinkingBlock): ChatReasoningBlock {
  if (block.type === "redacted_thinking") return { type: "redacted-reasoning", data: block.data };
  const { signature } = block;
  return {
    type: "reasoning",
    text: block.thinking,
    ...(signature !== undefined && signature !== null ? { signature } : {}),
  };
}

type RequestMessage = ChatCompletionRequest["messages"][number];

/**
 * The request's messages for the adapters: an assistant message's `thinking_blocks` become its
 * reasoningBlocks (and the field goes, so no adapter passes it on by mistake; null or empty is none).
 * Runs on every call, so the array is copied only when a message has the field, and only that
 * message is rebuilt.
 */
export function withReasoningBlocks(messages: readonly RequestMessage[]): ChatMessage[] {
  let out: ChatMessage[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role !== "assistant" || message.thinking_blocks === undefined) continue;
    out ??= [...(messages as readonly ChatMessage[])];
    const { thinking_blocks: blocks, ...rest } = message;
    out[i] =
      blocks !== null && blocks.length > 0
        ? { ...rest, reasoningBlocks: blocks.map(toReasoningBlock) }
        : rest;
  }
  return out ?? (messages as ChatMessage[]);
}
