import type { ChatResult, ChatStreamPart, ChatUsage } from "../providers/chat-spec.js";

/** A Chat Completions response as OpenAI writes it, from an adapter's result. */
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
          ...(result.toolCalls.length > 0 ? { tool_calls: result.toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: result.usage,
  };
}

/**
 * Server-sent events in OpenAI's framing, one `data:` line per chunk, written as parts arrive: a role
 * chunk first, then deltas, the finish chunk, a usage chunk when asked for, and `[DONE]`.
 */
export function createChunkEncoder(id: string, model: string, created: number, includeUsage: boolean) {
  const chunk = (choices: unknown[], usage?: ChatUsage) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...(usage ? { usage } : {}) })}\n\n`;
  return {
    start: () =>
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
    part(part: ChatStreamPart): string {
      switch (part.type) {
        case "text-delta":
          return chunk([{ index: 0, delta: { content: part.delta }, logprobs: null, finish_reason: null }]);
        case "tool-call-delta":
          return chunk([
            {
              index: 0,
              delta: {
                tool_calls: [
                  {
                    index: part.index,
                    ...(part.id ? { id: part.id, type: "function" } : {}),
                    function: { ...(part.name ? { name: part.name } : {}), arguments: part.argumentsDelta },
                  },
                ],
              },
              logprobs: null,
              finish_reason: null,
            },
          ]);
        case "finish":
          return (
            chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: part.finishReason }]) +
            (includeUsage ? chunk([], part.usage) : "") +
            "data: [DONE]\n\n"
          );
      }
    },
    /** An error after the stream started: OpenAI's envelope as a last event, as its own API does. */
    error: (message: string, type: string) =>
      `data: ${JSON.stringify({ error: { message, type, param: null, code: null } })}\n\n`,
  };
}
