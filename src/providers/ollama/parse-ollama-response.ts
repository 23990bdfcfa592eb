import { Type, type Static } from "typebox";
import { Compile } from "typebox/compile";
import type { ChatResult, ChatToolCall, ChatUsage } from "../chat-spec.js";
import { expectShape } from "../expect-shape.js";
import { generateToolCallId } from "../generate-tool-call-id.js";
import { chatUsage, readTokenCount } from "../token-count.js";
import { mapOllamaFinishReason } from "./map-ollama-finish-reason.js";

/** `/api/chat`'s answer, or one line of its stream (the last one has done: true and the counts). */
const OllamaChatShape = Type.Object({
  message: Type.Optional(
    Type.Object({
      content: Type.Optional(Type.String()),
      /** The reasoning of a thinking model asked to think, apart from the content. */
      thinking: Type.Optional(Type.String()),
      tool_calls: Type.Optional(
        Type.Array(
          Type.Object({
            id: Type.Optional(Type.String()),
            function: Type.Object({
              name: Type.String({ minLength: 1 }),
              arguments: Type.Optional(Type.Unknown()),
            }),
          }),
        ),
      ),
    }),
  ),
  done: Type.Boolean(),
  done_reason: Type.Optional(Type.String()),
  // Read by readTokenCount, which makes any value safe: a null count must not fail the answer.
  prompt_eval_count: Type.Optional(Type.Unknown()),
  eval_count: Type.Optional(Type.Unknown()),
});

export type OllamaChatChunk = Static<typeof OllamaChatShape>;

export const OllamaChatValidator = Compile(OllamaChatShape);

/** Ollama's calls carry arguments as an object (a string from some servers is kept as it is) and no id. */
export function readOllamaToolCalls(chunk: OllamaChatChunk): ChatToolCall[] {
  return (chunk.message?.tool_calls ?? []).map((call) => ({
    id: call.id || generateToolCallId(),
    type: "function",
    function: {
      name: call.function.name,
      arguments:
        typeof call.function.arguments === "string"
          ? call.function.arguments
          : JSON.stringify(call.function.arguments ?? {}),
    },
  }));
}

/** prompt_eval_count and eval_count; Ollama leaves out a count that is zero (a fully cached prompt). */
export function mapOllamaUsage(chunk: OllamaChatChunk): ChatUsage {
  return chatUsage(readTokenCount(chunk.prompt_eval_count), readTokenCount(chunk.eval_count));
}

/** `/api/chat` with stream: false -> the result, message.thinking as its reasoning. No response id. */
export function parseOllamaResponse(body: unknown, where: string): Omit<ChatResult, "warnings"> {
  const chunk = expectShape(OllamaChatValidator, body, where);
  const toolCalls = readOllamaToolCalls(chunk);
  const content = chunk.message?.content ?? "";
  const thinking = chunk.message?.thinking ?? "";
  return {
    text: content.length > 0 ? content : null,
    ...(thinking.length > 0 ? { reasoning: thinking } : {}),
    toolCalls,
    finishReason: mapOllamaFinishReason(chunk.done_reason, toolCalls.length > 0),
    usage: mapOllamaUsage(chunk),
  };
}
