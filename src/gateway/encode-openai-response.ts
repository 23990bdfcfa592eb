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
          ...(result.reasoning ? { reasoning_content: result.reasoning } : {}),
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
 * chunk first, then deltas (reasoning as `reasoning_content`, DeepSeek's field, which the AI SDK and
 * other OpenAI-compatible clients read), the finish chunk, a usage chunk when asked for, and `[DONE]`. Every chunk
 * of a stream shares its id, created and model, so that head is serialized once and a text delta
 * (nearly every chunk) costs one JSON.stringify of its text: the same bytes as stringifying the
 * whole chunk object, without building it.
 */
export function createChunkEncoder(id: string, model: string, created: number, includeUsage: boolean) {
  const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":`;
  const choice = (delta: string, finishReason: string | null) =>
    `${head}[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finishReason === null ? "null" : JSON.stringify(finishReason)}}]}\n\n`;
  return {
    start: () => choice('{"role":"assistant","content":""}', null),
    part(part: ChatStreamPart): string {
      switch (part.type) {
        case "text-delta":
          return choice(`{"content":${JSON.stringify(part.delta)}}`, null);
        case "reasoning-delta":
          return choice(`{"reasoning_content":${JSON.stringify(part.delta)}}`, null);
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
