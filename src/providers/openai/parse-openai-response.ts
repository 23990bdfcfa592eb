import { Type } from "typebox";
import { Compile } from "typebox/compile";
import type { ChatResult, ChatToolCall, ChatWarning, EmbeddingsResult } from "../chat-spec.js";
import { ProviderError } from "../errors.js";
import { expectShape } from "../expect-shape.js";
import { generateToolCallId } from "../generate-tool-call-id.js";
import { mapOpenAIFinishReason } from "./map-openai-finish-reason.js";
import { parseOpenAIUsage, readLogprobs, readReasoning, readRefusal } from "./parse-openai-chunk.js";

/**
 * The answers of `POST /chat/completions` (non-streaming) and `POST /embeddings`, checked and read.
 * Only what the gateway depends on is checked; the rest (created, system_fingerprint) may be anything.
 * `logprobs` and `refusal` are read by hand (readLogprobs, readRefusal), as the stream reads them: a
 * compatible server's malformed logprobs or refusal is left out rather than failing the whole answer.
 */

const ChatCompletion = Compile(
  Type.Object({
    id: Type.Optional(Type.Unknown()),
    choices: Type.Array(
      Type.Object({
        message: Type.Object({
          content: Type.Optional(Type.Union([Type.String(), Type.Null()])),
          reasoning_content: Type.Optional(Type.Unknown()),
          reasoning: Type.Optional(Type.Unknown()),
          refusal: Type.Optional(Type.Unknown()),
          tool_calls: Type.Optional(
            Type.Union([
              Type.Null(),
              Type.Array(
                Type.Object({
                  id: Type.Optional(Type.Unknown()),
                  function: Type.Object({ name: Type.String(), arguments: Type.Optional(Type.Unknown()) }),
                }),
              ),
            ]),
          ),
        }),
        logprobs: Type.Optional(Type.Unknown()),
        finish_reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      }),
      { minItems: 1 },
    ),
    usage: Type.Optional(Type.Unknown()),
  }),
);

/**
 * A `chat.completion` as a ChatResult: the first choice's content, reasoning, refusal, tool calls and
 * logprobs, its finish reason (tool_calls when there are calls and the upstream gave none), the usage
 * (zeros when absent).
 */
export function parseOpenAIChatResponse(body: unknown, where: string, warnings: ChatWarning[]): ChatResult {
  const completion = expectShape(ChatCompletion, body, where);
  const choice = completion.choices[0]!;
  const toolCalls: ChatToolCall[] = (choice.message.tool_calls ?? []).map((call) => ({
    id: typeof call.id === "string" && call.id.length > 0 ? call.id : generateToolCallId(),
    type: "function",
    function: {
      name: call.function.name,
      arguments:
        typeof call.function.arguments === "string"
          ? call.function.arguments
          : // A few compatible servers send the arguments as an object; the caller expects JSON text.
            JSON.stringify(call.function.arguments ?? {}),
    },
  }));
  const reason = choice.finish_reason;
  const result: ChatResult = {
    text: choice.message.content ?? null,
    toolCalls,
    finishReason:
      typeof reason === "string" && reason.length > 0
        ? mapOpenAIFinishReason(reason)
        : toolCalls.length > 0
          ? "tool_calls"
          : "stop",
    usage: parseOpenAIUsage(completion.usage) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    warnings,
  };
  const reasoning = readReasoning(choice.message);
  if (reasoning !== undefined) result.reasoning = reasoning;
  const refusal = readRefusal(choice.message);
  if (refusal !== undefined) result.refusal = refusal;
  const logprobs = readLogprobs(choice.logprobs);
  if (logprobs !== undefined) result.logprobs = logprobs;
  if (typeof completion.id === "string" && completion.id.length > 0) result.id = completion.id;
  return result;
}

const EmbeddingList = Compile(
  Type.Object({
    data: Type.Array(
      Type.Object({
        index: Type.Optional(Type.Integer({ minimum: 0 })),
        embedding: Type.Union([Type.Array(Type.Number()), Type.String()]),
      }),
    ),
    usage: Type.Optional(Type.Unknown()),
  }),
);

/**
 * `{object: "list", data: [{object: "embedding", index, embedding}], model, usage}` as the vectors in
 * input order (sorted by index). An embedding sent as base64 (little-endian float32, what
 * `encoding_format: "base64"` returns) is decoded, so the result is numbers either way.
 */
export function parseOpenAIEmbeddingsResponse(body: unknown, where: string): EmbeddingsResult {
  const list = expectShape(EmbeddingList, body, where);
  const items = list.data.map((item, position) => ({
    index: item.index ?? position,
    embedding: typeof item.embedding === "string" ? decodeFloat32(item.embedding, where) : item.embedding,
  }));
  items.sort((a, b) => a.index - b.index);
  const usage = parseOpenAIUsage(list.usage);
  return {
    embeddings: items.map((item) => item.embedding),
    usage: usage
      ? { prompt_tokens: usage.prompt_tokens, total_tokens: usage.total_tokens }
      : { prompt_tokens: 0, total_tokens: 0 },
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeFloat32(base64: string, where: string): number[] {
  const bytes = BASE64.test(base64) ? Buffer.from(base64, "base64") : undefined;
  if (bytes === undefined || bytes.byteLength % 4 !== 0) {
    throw new ProviderError(
      "bad_response",
      `${where} sent an embedding that is neither numbers nor base64 float32`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = new Array<number>(Math.floor(bytes.byteLength / 4));
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
