import { Type } from "typebox";
import { Compile } from "typebox/compile";
import type { ChatReasoningBlock, ChatResult, ChatToolCall } from "../chat-spec.js";
import { expectShape } from "../expect-shape.js";
import { mapAnthropicStopReason } from "./map-anthropic-stop-reason.js";
import { mapAnthropicUsage } from "./map-anthropic-usage.js";

/** Read by readTokenCount, which makes any value safe, so an odd count does not fail the answer. */
const Count = Type.Optional(Type.Unknown());

export const AnthropicUsageShape = Type.Object({
  input_tokens: Count,
  output_tokens: Count,
  cache_creation_input_tokens: Count,
  cache_read_input_tokens: Count,
});

/** Blocks are checked by type below; types this gateway does not map (server tools, citations) pass. */
const AnthropicResponse = Compile(
  Type.Object({
    id: Type.String(),
    content: Type.Array(Type.Object({ type: Type.String() })),
    stop_reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    usage: AnthropicUsageShape,
  }),
);

const TextBlock = Compile(Type.Object({ type: Type.Literal("text"), text: Type.String() }));

const ThinkingBlock = Compile(
  Type.Object({
    type: Type.Literal("thinking"),
    thinking: Type.String(),
    signature: Type.Optional(Type.String()),
  }),
);

const RedactedThinkingBlock = Compile(
  Type.Object({ type: Type.Literal("redacted_thinking"), data: Type.String() }),
);

const ToolUseBlock = Compile(
  Type.Object({
    type: Type.Literal("tool_use"),
    id: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    input: Type.Unknown(),
  }),
);

/**
 * A Messages API answer -> the result: text blocks joined (null when there is none), thinking
 * blocks joined as the reasoning (back to back, as a client joins them streamed; absent when there
 * is none), tool_use blocks as tool calls with Anthropic's own ids and their input as a JSON
 * string. A redacted_thinking block is encrypted, with nothing to read, so it is left out of the
 * reasoning. Both kinds are also kept whole, signatures and data as sent, in their order, as the
 * reasoning blocks a tool loop hands back.
 */
export function parseAnthropicResponse(body: unknown, where: string): Omit<ChatResult, "warnings"> {
  const message = expectShape(AnthropicResponse, body, where);
  const texts: string[] = [];
  const thoughts: string[] = [];
  const reasoningBlocks: ChatReasoningBlock[] = [];
  const toolCalls: ChatToolCall[] = [];
  message.content.forEach((block, index) => {
    const at = `${where} (content/${index})`;
    if (block.type === "text") {
      texts.push(expectShape(TextBlock, block, at).text);
    } else if (block.type === "thinking") {
      const { thinking, signature } = expectShape(ThinkingBlock, block, at);
      thoughts.push(thinking);
      reasoningBlocks.push({
        type: "reasoning",
        text: thinking,
        ...(signature !== undefined ? { signature } : {}),
      });
    } else if (block.type === "redacted_thinking") {
      reasoningBlocks.push({
        type: "redacted-reasoning",
        data: expectShape(RedactedThinkingBlock, block, at).data,
      });
    } else if (block.type === "tool_use") {
      const call = expectShape(ToolUseBlock, block, at);
      toolCalls.push({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) },
      });
    }
  });
  const reasoning = thoughts.join("");
  return {
    id: message.id,
    text: texts.length > 0 ? texts.join("") : null,
    ...(reasoning.length > 0 ? { reasoning } : {}),
    ...(reasoningBlocks.length > 0 ? { reasoningBlocks } : {}),
    toolCalls,
    finishReason: mapAnthropicStopReason(message.stop_reason),
    usage: mapAnthropicUsage(message.usage),
  };
}
