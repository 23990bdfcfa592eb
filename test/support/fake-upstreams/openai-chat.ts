import { createHash } from "node:crypto";
import { reasoningFor } from "./echo-chat.js";
import { sendJson, type FakeContext } from "./fake-server.js";

/**
 * Chat Completions and Embeddings as OpenAI answers them, shared by openai.ts and azure-openai.ts
 * (Azure speaks the same bodies behind its own paths). Deterministic, so tests can assert on it:
 *
 * - the answer is `echo: <text of the last user message>`;
 * - when the request has `tools` and that text contains "call tool", the answer is one call of the
 *   first tool with arguments `{"text": <that text>}` (streamed as deltas over several chunks);
 * - when that text contains "slow stream", a stream sends 100 chunks 30 ms apart (to abort one
 *   midway);
 * - when it contains "no usage", the answer carries no usage (as compatible servers that ignore
 *   `stream_options` stream, and a few omit it even without streaming);
 * - when it contains "think first", the message carries DeepSeek's `reasoning_content`
 *   (`reasoningFor` in echo-chat.ts), streamed in pieces before the content or the tool call;
 * - when it contains "please refuse", the model refuses as structured outputs do: `content` null,
 *   `refusal` REFUSAL, finish_reason "stop" (streamed: a role chunk with `content: null,
 *   refusal: ""`, then `{refusal}` pieces, as OpenAI streams one);
 * - when the request has `logprobs: true`, the choice carries OpenAI's logprobs: one token per piece
 *   of the answer (or refusal) with `logprobFor(piece index)`, its UTF-8 bytes, and `top_logprobs`
 *   alternatives as many as asked (0-20; the first is the token itself); streamed, each content (or
 *   refusal) chunk carries its token, the role and tool-call chunks `{content: [], refusal: null}`
 *   and the finish chunk null, as OpenAI's do. `top_logprobs` outside 0-20 is a 400;
 * - usage counts words: prompt = words of every message, completion = pieces of the answer.
 *
 * A stream is SSE as OpenAI frames it: `data: {chunk}\n\n` events, a role chunk first, content (or
 * tool-call) chunks, a chunk with the finish_reason, a usage chunk with `choices: []` when
 * `stream_options.include_usage`, then `data: [DONE]\n\n`.
 */

export interface OpenAIChatDialect {
  /** Headers every answer carries (x-request-id, apim-request-id, ...). */
  headers(): Record<string, string>;
  /** The format's 400 for a request it refuses. */
  invalid(ctx: FakeContext, message: string, param: string): void;
  /** The model named in answers when the body names none (Azure: the deployment). */
  defaultModel(ctx: FakeContext): string;
}

export const FAKE_CREATED = 1_715_367_049;
export const FAKE_FINGERPRINT = "fp_fake0001";
export const FAKE_TOOL_CALL_ID = "call_fake0123456789abcdef01";
const SLOW_CHUNKS = 100;
const SLOW_CHUNK_MS = 30;
export const REFUSAL = "I can't help with that.";

/** The logprob the fake gives the answer's piece at `index`: small binary fractions, exact in JSON. */
export function logprobFor(index: number): number {
  return -(index + 1) / 16;
}

interface ParsedChat {
  model: string;
  userText: string;
  promptTokens: number;
  tool: string | undefined;
  stream: boolean;
  includeUsage: boolean;
  refuse: boolean;
  /** How many top_logprobs each token lists; undefined without `logprobs: true`. */
  topLogprobs: number | undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => record(part))
    .filter((part) => part?.type === "text" && typeof part.text === "string")
    .map((part) => part!.text as string)
    .join("");
}

function words(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

/** The answer in pieces: each word with the space after it. */
function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function parseChat(ctx: FakeContext, dialect: OpenAIChatDialect): ParsedChat | undefined {
  let body: Record<string, unknown> | undefined;
  try {
    body = record(JSON.parse(ctx.body));
  } catch {
    body = undefined;
  }
  if (body === undefined) {
    dialect.invalid(
      ctx,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
      "body",
    );
    return undefined;
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    dialect.invalid(ctx, "[] is too short - 'messages'", "messages");
    return undefined;
  }
  let userText = "";
  let promptTokens = 0;
  for (const message of messages) {
    const m = record(message);
    const text = textOf(m?.content);
    promptTokens += words(text);
    if (m?.role === "user") userText = text;
  }
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const firstTool = record(record(tools[0])?.function)?.name;
  const top = body.top_logprobs ?? 0;
  if (typeof top !== "number" || !Number.isInteger(top) || top < 0 || top > 20) {
    dialect.invalid(
      ctx,
      `Invalid 'top_logprobs': expected an integer between 0 and 20, but got ${JSON.stringify(top)} instead.`,
      "top_logprobs",
    );
    return undefined;
  }
  const refuse = userText.includes("please refuse");
  return {
    model: typeof body.model === "string" ? body.model : dialect.defaultModel(ctx),
    userText,
    promptTokens,
    tool: typeof firstTool === "string" && userText.includes("call tool") && !refuse ? firstTool : undefined,
    stream: body.stream === true,
    includeUsage: record(body.stream_options)?.include_usage === true && !userText.includes("no usage"),
    refuse,
    topLogprobs: body.logprobs === true ? top : undefined,
  };
}

/** OpenAI's entry for one token: `{token, logprob, bytes, top_logprobs}`, deterministic (see above). */
function tokenLogprob(token: string, index: number, top: number) {
  const logprob = logprobFor(index);
  return {
    token,
    logprob,
    bytes: [...Buffer.from(token, "utf8")],
    top_logprobs: Array.from({ length: top }, (_, k) => {
      const alternative = k === 0 ? token : `${token.trim()}~${k}`;
      return { token: alternative, logprob: logprob - k, bytes: [...Buffer.from(alternative, "utf8")] };
    }),
  };
}

function completionId(chat: ParsedChat): string {
  return `chatcmpl-${createHash("sha256").update(chat.userText).digest("hex").slice(0, 24)}`;
}

export async function handleChatCompletions(ctx: FakeContext, dialect: OpenAIChatDialect): Promise<void> {
  const chat = parseChat(ctx, dialect);
  if (chat === undefined) return;
  const answer = `echo: ${chat.userText}`;
  const args = JSON.stringify({ text: chat.userText });
  const completionTokens = chat.refuse
    ? pieces(REFUSAL).length
    : chat.tool === undefined
      ? pieces(answer).length
      : pieces(args).length;
  const usage = {
    prompt_tokens: chat.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: chat.promptTokens + completionTokens,
  };
  if (!chat.stream) return sendCompletion(ctx, dialect, chat, answer, args, usage);

  const id = completionId(chat);
  ctx.res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...dialect.headers(),
  });
  const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    ctx.res.write(
      `data: ${JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created: FAKE_CREATED,
        model: chat.model,
        system_fingerprint: FAKE_FINGERPRINT,
        choices,
        ...(chat.includeUsage ? { usage: null } : {}),
        ...extra,
      })}\n\n`,
    );
  const top = chat.topLogprobs;
  // A chunk without a token of its own (role, tool-call) still carries empty lists when asked.
  const noTokens = top === undefined ? null : { content: [], refusal: null };
  const choice = (
    delta: Record<string, unknown>,
    finishReason: string | null = null,
    logprobs: unknown = finishReason === null ? noTokens : null,
  ) => [{ index: 0, delta, logprobs, finish_reason: finishReason }];
  // DeepSeek's shape: reasoning pieces with `content: null`, before the content or the call.
  const sendReasoning = () => {
    for (const part of pieces(reasoningFor(chat.userText) ?? "")) {
      send(choice({ content: null, reasoning_content: part }));
    }
  };

  if (chat.refuse) {
    send(choice({ role: "assistant", content: null, refusal: "" }));
    for (const [index, part] of pieces(REFUSAL).entries()) {
      const logprobs =
        top === undefined ? null : { content: null, refusal: [tokenLogprob(part, index, top)] };
      send(choice({ refusal: part }, null, logprobs));
    }
    send(choice({}, "stop"));
  } else if (chat.tool === undefined) {
    send(choice({ role: "assistant", content: "", refusal: null }));
    sendReasoning();
    const slow = chat.userText.includes("slow stream");
    const parts = slow ? Array.from({ length: SLOW_CHUNKS }, (_, i) => `${i} `) : pieces(answer);
    for (const [index, part] of parts.entries()) {
      if (ctx.res.destroyed) return;
      if (slow) await ctx.sleep(SLOW_CHUNK_MS);
      const logprobs =
        top === undefined ? null : { content: [tokenLogprob(part, index, top)], refusal: null };
      send(choice({ content: part }, null, logprobs));
    }
    send(choice({}, "stop"));
  } else {
    send(choice({ role: "assistant", content: null, refusal: null }));
    sendReasoning();
    send(
      choice({
        content: null,
        tool_calls: [
          { index: 0, id: FAKE_TOOL_CALL_ID, type: "function", function: { name: chat.tool, arguments: "" } },
        ],
        refusal: null,
      }),
    );
    for (const part of splitInto(args, 4)) {
      send(choice({ tool_calls: [{ index: 0, function: { arguments: part } }] }));
    }
    send(choice({}, "tool_calls"));
  }
  if (ctx.res.destroyed) return;
  if (chat.includeUsage) send([], { usage: { ...usage, ...usageDetails() } });
  ctx.res.end("data: [DONE]\n\n");
}

function splitInto(text: string, count: number): string[] {
  const size = Math.ceil(text.length / count);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function usageDetails() {
  return {
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function sendCompletion(
  ctx: FakeContext,
  dialect: OpenAIChatDialect,
  chat: ParsedChat,
  answer: string,
  args: string,
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number },
): void {
  const top = chat.topLogprobs;
  const tokens = (parts: string[]) => parts.map((part, index) => tokenLogprob(part, index, top ?? 0));
  const logprobs =
    top === undefined
      ? null
      : chat.refuse
        ? { content: null, refusal: tokens(pieces(REFUSAL)) }
        : { content: chat.tool === undefined ? tokens(pieces(answer)) : [], refusal: null };
  const message = chat.refuse
    ? { role: "assistant", content: null, refusal: REFUSAL, annotations: [] }
    : chat.tool === undefined
      ? {
          role: "assistant",
          content: answer,
          ...(reasoningFor(chat.userText) === undefined
            ? {}
            : { reasoning_content: reasoningFor(chat.userText) }),
          refusal: null,
          annotations: [],
        }
      : {
          role: "assistant",
          content: null,
          ...(reasoningFor(chat.userText) === undefined
            ? {}
            : { reasoning_content: reasoningFor(chat.userText) }),
          tool_calls: [
            { id: FAKE_TOOL_CALL_ID, type: "function", function: { name: chat.tool, arguments: args } },
          ],
          refusal: null,
          annotations: [],
        };
  sendJson(
    ctx.res,
    200,
    {
      id: completionId(chat),
      object: "chat.completion",
      created: FAKE_CREATED,
      model: chat.model,
      choices: [
        {
          index: 0,
          message,
          logprobs,
          finish_reason: chat.tool === undefined ? "stop" : "tool_calls",
        },
      ],
      ...(chat.userText.includes("no usage") ? {} : { usage: { ...usage, ...usageDetails() } }),
      service_tier: "default",
      system_fingerprint: FAKE_FINGERPRINT,
    },
    dialect.headers(),
  );
}

/**
 * A deterministic vector for `text`: `dimensions` values in [-1, 1) from its SHA-256, so equal inputs
 * embed equally and tests can recompute them.
 */
export function fakeEmbedding(text: string, dimensions = 8): number[] {
  const digest = createHash("sha256").update(text).digest();
  return Array.from({ length: dimensions }, (_, i) => Math.fround((digest[i % digest.length]! - 128) / 128));
}

export function handleEmbeddings(ctx: FakeContext, dialect: OpenAIChatDialect): void {
  let body: Record<string, unknown> | undefined;
  try {
    body = record(JSON.parse(ctx.body));
  } catch {
    body = undefined;
  }
  const input = body?.input;
  const inputs = typeof input === "string" ? [input] : Array.isArray(input) ? input : undefined;
  if (body === undefined || inputs === undefined || inputs.length === 0) {
    return dialect.invalid(ctx, "'input' is a required property", "input");
  }
  const dimensions = typeof body.dimensions === "number" ? body.dimensions : 8;
  const base64 = body.encoding_format === "base64";
  const promptTokens = inputs.reduce<number>((sum, text) => sum + words(String(text)), 0);
  sendJson(
    ctx.res,
    200,
    {
      object: "list",
      data: inputs.map((text, index) => {
        const vector = fakeEmbedding(String(text), dimensions);
        return {
          object: "embedding",
          index,
          embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
        };
      }),
      model: typeof body.model === "string" ? body.model : dialect.defaultModel(ctx),
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
    dialect.headers(),
  );
}
