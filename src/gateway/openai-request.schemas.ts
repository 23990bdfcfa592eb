import { type Static, type TSchema, Type } from "typebox";

/**
 * OpenAI's Chat Completions and Embeddings requests, checked as far as Switchyard depends on them.
 * Other OpenAI fields are let through (additionalProperties) and handed to the adapter, which
 * passes them on or reports that it cannot honour them.
 */

/**
 * An optional field that may also be null, as OpenAI's API takes it (its Python SDK sends an explicit
 * `None` as null). The gateway reads null as not sent (see toChatRequest).
 */
function Nullable<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()]));
}

const TextPart = Type.Object({ type: Type.Literal("text"), text: Type.String() });
const ImagePart = Type.Object({
  type: Type.Literal("image_url"),
  image_url: Type.Object({
    url: Type.String({ maxLength: 20_000_000 }),
    detail: Type.Optional(Type.Union([Type.Literal("auto"), Type.Literal("low"), Type.Literal("high")])),
  }),
});
const Content = Type.Union([Type.String(), Type.Array(Type.Union([TextPart, ImagePart]))]);
const ToolCall = Type.Object({
  id: Type.String(),
  type: Type.Literal("function"),
  function: Type.Object({ name: Type.String(), arguments: Type.String() }),
});

/**
 * LiteLLM's `thinking_blocks`, as an answer gives them (see thinking-blocks.ts) and a caller hands
 * them back on the assistant message: reasoning the upstream needs back as it was, to go on reasoning
 * in a tool loop. The signature and the data are opaque and pass through untouched. A turn's thinking
 * is bounded by the model's output (tens of thousands of tokens), far under these bounds; the body
 * limit binds first.
 */
const MAX_THINKING_BLOCK_TEXT = 4_000_000;
const ThinkingBlock = Type.Object({
  type: Type.Literal("thinking"),
  thinking: Type.String({ maxLength: MAX_THINKING_BLOCK_TEXT }),
  // Optional as LiteLLM types it; a block without one is not sent back (Anthropic would refuse it).
  signature: Nullable(Type.String({ maxLength: MAX_THINKING_BLOCK_TEXT })),
});
const RedactedThinkingBlock = Type.Object({
  type: Type.Literal("redacted_thinking"),
  data: Type.String({ maxLength: MAX_THINKING_BLOCK_TEXT }),
});
export const ThinkingBlocks = Type.Array(Type.Union([ThinkingBlock, RedactedThinkingBlock]), {
  maxItems: 256,
  description:
    "The `thinking_blocks` of the answer this message is, as they came: Anthropic gets them back first in " +
    "the assistant turn, so that answering a tool result goes on thinking; other upstreams ignore them, " +
    "with a warning.",
});
export type ThinkingBlocks = Static<typeof ThinkingBlocks>;

const Message = Type.Union([
  Type.Object({
    role: Type.Union([Type.Literal("system"), Type.Literal("developer")]),
    content: Content,
    name: Type.Optional(Type.String()),
  }),
  Type.Object({ role: Type.Literal("user"), content: Content, name: Type.Optional(Type.String()) }),
  Type.Object({
    role: Type.Literal("assistant"),
    content: Type.Optional(Type.Union([Content, Type.Null()])),
    tool_calls: Type.Optional(Type.Array(ToolCall)),
    name: Type.Optional(Type.String()),
    thinking_blocks: Nullable(ThinkingBlocks),
  }),
  Type.Object({ role: Type.Literal("tool"), content: Content, tool_call_id: Type.String() }),
]);

/** `model` is recorded in usage, and PostgreSQL cannot store U+0000 (see unstorableText). */
const WITHOUT_NUL = "^[^\\u0000]*$";

export const ChatCompletionRequest = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 400,
      pattern: WITHOUT_NUL,
      description: "`<connection name>/<model>`, or a model on the caller's resolved connection",
    }),
    messages: Type.Array(Message, { minItems: 1 }),
    stream: Nullable(Type.Boolean()),
    stream_options: Nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) })),
    max_tokens: Nullable(Type.Integer({ minimum: 1 })),
    max_completion_tokens: Nullable(Type.Integer({ minimum: 1 })),
    temperature: Nullable(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    stop: Nullable(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 })])),
    tools: Nullable(
      Type.Array(
        Type.Object({
          type: Type.Literal("function"),
          function: Type.Object({
            name: Type.String({ minLength: 1, maxLength: 64 }),
            description: Type.Optional(Type.String()),
            parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            strict: Type.Optional(Type.Boolean()),
          }),
        }),
      ),
    ),
    tool_choice: Nullable(
      Type.Union([
        Type.Literal("none"),
        Type.Literal("auto"),
        Type.Literal("required"),
        Type.Object({ type: Type.Literal("function"), function: Type.Object({ name: Type.String() }) }),
      ]),
    ),
    presence_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
    seed: Nullable(Type.Integer()),
    n: Nullable(Type.Literal(1, { description: "Only 1 is supported" })),
    user: Nullable(Type.String()),
    // Extras (passed on to the adapter unparsed), listed for the docs; values an upstream cannot
    // honour are reported in X-Switchyard-Warnings rather than refused here.
    reasoning_effort: Nullable(
      Type.String({
        description:
          "none, minimal, low, medium or high: passed to OpenAI-compatible upstreams as sent; Anthropic's " +
          "thinking budget, Gemini's thinkingConfig and Ollama's think otherwise. The reasoning comes back " +
          "as `reasoning_content`.",
      }),
    ),
    logprobs: Nullable(
      Type.Boolean({
        description: "Honoured by OpenAI-compatible upstreams; reported as a warning by the others",
      }),
    ),
    top_logprobs: Nullable(Type.Integer({ minimum: 0, maximum: 20 })),
  },
  { additionalProperties: true },
);
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>;

export const EmbeddingsRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 400, pattern: WITHOUT_NUL }),
    input: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 2048 })]),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    encoding_format: Type.Optional(Type.Union([Type.Literal("float"), Type.Literal("base64")])),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type EmbeddingsRequest = Static<typeof EmbeddingsRequest>;
