import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  asRecord,
  parseJsonBody,
  pieces,
  planEcho,
  reasoningFor,
  SLOW_CHUNK_MS,
  words,
  type EchoPlan,
} from "./echo-chat.js";
import {
  header,
  sendJson,
  startFakeServer,
  type FakeContext,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type FakeWireFormat,
} from "./fake-server.js";

/**
 * api.anthropic.com as the real API answers: `x-api-key` and a required `anthropic-version`,
 * errors in `{type: "error", error: {type, message}, request_id}`, a `request-id` header, the
 * model listing paged by limit / after_id / before_id, and `POST /v1/messages` (answers as
 * echo-chat.ts says; a stream is SSE with `event:` lines in Anthropic's exact order, ping
 * included). The base URL is `url` itself.
 *
 * Extended thinking as Anthropic does it: only a request with `thinking: {type: "enabled",
 * budget_tokens}` reasons, and it is refused (400 invalid_request_error, Anthropic's words) when the
 * budget is under 1024, max_tokens is not above the budget, temperature is not 1, top_p is under
 * 0.95, tool_choice forces a tool, or the last assistant turn called a tool without starting with
 * its thinking (a tool loop must hand the turn's signed thinking back). Thinking handed back is
 * checked as Anthropic checks it, thinking on or off: a thinking block needs the signature this fake
 * gave it (an HMAC over its thinking, so a changed byte of either fails), a redacted_thinking block
 * its data unchanged. A request that thinks and says "think first" gets a thinking block
 * (the reasoning of echo-chat.ts, signed) before the text; streamed, that block comes
 * first, its thinking in pieces (thinking_delta) and then its signature_delta, and the other blocks'
 * indices shift up. One that says "redacted thinking" also gets a redacted_thinking block, first
 * (streamed whole in its content_block_start, as Anthropic streams it). Usage is unchanged by either.
 */

function requestId(): string {
  return `req_${randomBytes(12).toString("base64url")}`;
}

function anthropicError(
  ctx: FakeContext,
  status: number,
  type: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  const id = requestId();
  sendJson(
    ctx.res,
    status,
    { type: "error", error: { type, message }, request_id: id },
    { "request-id": id, ...extraHeaders },
  );
}

function displayName(id: string): string {
  return id
    .replace(/-\d{8}$/, "")
    .split("-")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

function blocksOf(content: unknown): Record<string, unknown>[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content.map((b) => asRecord(b) ?? {}) : [];
}

function blockText(block: Record<string, unknown>): string {
  if (block.type === "text" && typeof block.text === "string") return block.text;
  if (block.type === "tool_result") {
    return blocksOf(block.content)
      .map((b) => (typeof b.text === "string" ? b.text : ""))
      .join("");
  }
  return "";
}

/** The thinking budget of a request that asks for extended thinking; undefined for any other. */
function thinkingBudget(body: Record<string, unknown>): number | undefined {
  const thinking = asRecord(body.thinking);
  return thinking?.type === "enabled" && typeof thinking.budget_tokens === "number"
    ? thinking.budget_tokens
    : undefined;
}

const THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

/** What Anthropic refuses alongside extended thinking; undefined when the body passes. */
function invalidThinking(body: Record<string, unknown>): string | undefined {
  if (body.thinking === undefined) return undefined;
  const thinking = asRecord(body.thinking);
  if (thinking?.type === "disabled") return undefined;
  if (thinking?.type !== "enabled") {
    return "thinking: Input tag does not match any of the expected tags: 'disabled', 'enabled'";
  }
  const budget = thinkingBudget(body);
  if (budget === undefined) return "thinking.enabled.budget_tokens: Field required";
  if (budget < 1024) return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
  if ((body.max_tokens as number) <= budget) {
    return `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${THINKING_DOCS}#max-tokens-and-context-window-size`;
  }
  if (body.temperature !== undefined && body.temperature !== 1) {
    return `\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ${THINKING_DOCS}#important-considerations-when-using-extended-thinking`;
  }
  if (typeof body.top_p === "number" && body.top_p < 0.95) {
    return `\`top_p\` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at ${THINKING_DOCS}#important-considerations-when-using-extended-thinking`;
  }
  const toolChoice = asRecord(body.tool_choice);
  if (toolChoice?.type === "any" || toolChoice?.type === "tool") {
    return "Thinking may not be enabled when tool_choice forces tool use.";
  }
  const messages = Array.isArray(body.messages) ? body.messages.map(asRecord) : [];
  const at = messages.findLastIndex((m) => m?.role === "assistant");
  const blocks = Array.isArray(messages[at]?.content)
    ? (messages[at].content as unknown[]).map(asRecord)
    : [];
  const first = blocks[0]?.type;
  if (blocks.some((b) => b?.type === "tool_use") && first !== "thinking" && first !== "redacted_thinking") {
    return `messages.${at}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks).`;
  }
  return undefined;
}

/** Thinking handed back that Anthropic would refuse (a signature or data not as it gave them); undefined when it passes. */
function invalidThinkingHandedBack(messages: unknown[]): string | undefined {
  for (const [i, value] of messages.entries()) {
    const message = asRecord(value);
    if (message?.role !== "assistant" || !Array.isArray(message.content)) continue;
    for (const [j, item] of message.content.entries()) {
      const block = asRecord(item) ?? {};
      if (block.type === "thinking") {
        if (typeof block.signature !== "string")
          return `messages.${i}.content.${j}.thinking.signature: Field required`;
        if (typeof block.thinking !== "string" || !signatureValid(block.thinking, block.signature)) {
          return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
        }
      }
      if (block.type === "redacted_thinking" && block.data !== REDACTED_THINKING_DATA) {
        return `messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`;
      }
    }
  }
  return undefined;
}

/** The checks the real API makes that a translation can get wrong; undefined when the body passes. */
function invalidMessages(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== "string") return "model: Field required";
  if (typeof body.max_tokens !== "number") return "max_tokens: Field required";
  if (!Array.isArray(body.messages)) return "messages: Field required";
  if (typeof body.temperature === "number" && body.temperature > 1) {
    return "temperature: Input should be less than or equal to 1";
  }
  const thinking = invalidThinking(body) ?? invalidThinkingHandedBack(body.messages);
  if (thinking !== undefined) return thinking;
  let previous: Record<string, unknown>[] = [];
  for (const [i, value] of body.messages.entries()) {
    const message = asRecord(value) ?? {};
    if (message.role !== "user" && message.role !== "assistant") {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    const blocks = blocksOf(message.content);
    if (blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    for (const [j, block] of blocks.entries()) {
      if (block.type === "text" && block.text === "") {
        return `messages.${i}.content.${j}: text content blocks must be non-empty`;
      }
      if (block.type === "tool_result") {
        const known = previous.some((b) => b.type === "tool_use" && b.id === block.tool_use_id);
        if (!known) {
          return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
    }
    previous = blocks;
  }
  return undefined;
}

function promptWords(body: Record<string, unknown>): number {
  let count = 0;
  const system = body.system;
  if (typeof system === "string") count += words(system);
  else count += blocksOf(system).reduce((n, b) => n + words(blockText(b)), 0);
  for (const message of body.messages as unknown[]) {
    count += blocksOf(asRecord(message)?.content).reduce((n, b) => n + words(blockText(b)), 0);
  }
  return count;
}

function sse(ctx: FakeContext, event: string, data: unknown): void {
  ctx.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Stands for the encrypted reasoning of a redacted_thinking block, which only Anthropic can read. */
const REDACTED_THINKING_DATA = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP";

/**
 * Stands for the signature Anthropic checks a thinking block by when it is sent back: a random nonce
 * and an HMAC over it and the thinking, so it differs on every answer, as Anthropic's do, and this
 * fake can tell whether a block came back byte for byte.
 */
const SIGNING_KEY = "fake-anthropic-thinking";
const NONCE_BYTES = 16;

function signThinking(thinking: string, nonce = randomBytes(NONCE_BYTES)): string {
  const mac = createHmac("sha256", SIGNING_KEY).update(nonce).update(thinking).digest();
  return Buffer.concat([nonce, mac]).toString("base64");
}

function signatureValid(thinking: string, signature: string): boolean {
  const raw = Buffer.from(signature, "base64");
  if (raw.length !== NONCE_BYTES + 32 || raw.toString("base64") !== signature) return false;
  const expected = Buffer.from(signThinking(thinking, raw.subarray(0, NONCE_BYTES)), "base64");
  return timingSafeEqual(expected, raw);
}

function stopReasonOf(plan: EchoPlan): string {
  if (plan.tool !== undefined) return "tool_use";
  return plan.ended.reason === "end" ? "end_turn" : plan.ended.reason;
}

async function handleMessages(ctx: FakeContext): Promise<void> {
  if (header(ctx, "anthropic-version") === undefined) {
    return anthropicError(ctx, 400, "invalid_request_error", "anthropic-version: header is required");
  }
  const body = parseJsonBody(ctx.body);
  if (body === undefined) return anthropicError(ctx, 400, "invalid_request_error", "Invalid JSON body");
  const invalid = invalidMessages(body);
  if (invalid !== undefined) return anthropicError(ctx, 400, "invalid_request_error", invalid);
  const model = body.model as string;
  if (!ctx.models.includes(model)) return anthropicError(ctx, 404, "not_found_error", `model: ${model}`);

  const messages = body.messages as unknown[];
  const lastUser = [...messages]
    .reverse()
    .map(asRecord)
    .find((m) => m?.role === "user");
  const userText = blocksOf(lastUser?.content).map(blockText).join("");
  const tools = Array.isArray(body.tools) ? body.tools.map((t) => asRecord(t) ?? {}) : [];
  const toolName = typeof tools[0]?.name === "string" ? tools[0].name : undefined;
  const plan = planEcho(userText, {
    toolName,
    maxTokens: body.max_tokens as number,
    stop: Array.isArray(body.stop_sequences) ? (body.stop_sequences as string[]) : undefined,
  });
  const text = plan.tool === undefined ? plan.text : `I will call ${plan.tool.name}.`;
  const id = `msg_${randomBytes(12).toString("hex")}`;
  const toolId = `toolu_${randomBytes(12).toString("hex")}`;
  const inputTokens = promptWords(body);
  const outputTokens = plan.completionTokens;
  const stopSequence = plan.ended.reason === "stop_sequence" ? plan.ended.sequence : null;
  const headers = { "request-id": requestId() };
  const thinks = thinkingBudget(body) !== undefined;
  const reasoning = thinks ? reasoningFor(userText) : undefined;
  const redacted = thinks && /redacted thinking/i.test(userText);

  if (body.stream !== true) {
    if (/overloaded/i.test(userText)) return anthropicError(ctx, 529, "overloaded_error", "Overloaded");
    const content: unknown[] = [];
    if (redacted) content.push({ type: "redacted_thinking", data: REDACTED_THINKING_DATA });
    if (reasoning !== undefined)
      content.push({ type: "thinking", thinking: reasoning, signature: signThinking(reasoning) });
    if (text.length > 0) content.push({ type: "text", text });
    if (plan.tool !== undefined)
      content.push({ type: "tool_use", id: toolId, name: plan.tool.name, input: plan.tool.args });
    return sendJson(
      ctx.res,
      200,
      {
        id,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: stopReasonOf(plan),
        stop_sequence: stopSequence,
        usage: {
          input_tokens: inputTokens,
          output_tokens: outputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
      headers,
    );
  }

  ctx.res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...headers,
  });
  if (/overloaded/i.test(userText)) {
    sse(ctx, "error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    return void ctx.res.end();
  }
  sse(ctx, "message_start", {
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: inputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 1,
      },
    },
  });
  // Blocks are numbered in the order they come; the first is followed by a ping, as Anthropic does.
  let index = 0;
  const startBlock = (contentBlock: Record<string, unknown>) => {
    sse(ctx, "content_block_start", { type: "content_block_start", index, content_block: contentBlock });
    if (index === 0) sse(ctx, "ping", { type: "ping" });
  };
  const delta = (value: Record<string, unknown>) =>
    sse(ctx, "content_block_delta", { type: "content_block_delta", index, delta: value });
  const stopBlock = () => sse(ctx, "content_block_stop", { type: "content_block_stop", index: index++ });

  if (redacted) {
    startBlock({ type: "redacted_thinking", data: REDACTED_THINKING_DATA });
    stopBlock();
  }
  if (reasoning !== undefined) {
    startBlock({ type: "thinking", thinking: "", signature: "" });
    for (const piece of pieces(reasoning)) delta({ type: "thinking_delta", thinking: piece });
    delta({ type: "signature_delta", signature: signThinking(reasoning) });
    stopBlock();
  }
  startBlock({ type: "text", text: "" });
  const textPieces = plan.tool === undefined ? plan.pieces : [text];
  for (const [i, piece] of textPieces.entries()) {
    if (ctx.res.destroyed) return;
    delta({ type: "text_delta", text: piece });
    if (i === 0 && plan.streamError) {
      sse(ctx, "error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
      return void ctx.res.end();
    }
    if (i === 0 && plan.cut) return void ctx.res.end();
    if (plan.slow) await ctx.sleep(SLOW_CHUNK_MS);
  }
  stopBlock();
  if (plan.tool !== undefined) {
    startBlock({ type: "tool_use", id: toolId, name: plan.tool.name, input: {} });
    // The input arrives as JSON text cut at arbitrary points, the first piece empty, as Anthropic sends it.
    const json = JSON.stringify(plan.tool.args);
    const cuts = ["", json.slice(0, 5), json.slice(5, 12), json.slice(12)];
    for (const partial of cuts) delta({ type: "input_json_delta", partial_json: partial });
    stopBlock();
  }
  sse(ctx, "message_delta", {
    type: "message_delta",
    delta: { stop_reason: stopReasonOf(plan), stop_sequence: stopSequence },
    usage: { output_tokens: outputTokens },
  });
  sse(ctx, "message_stop", { type: "message_stop" });
  ctx.res.end();
}

export const anthropicWireFormat: FakeWireFormat = {
  routes: [
    {
      method: "GET",
      path: "/v1/models",
      handle(ctx) {
        if (header(ctx, "anthropic-version") === undefined) {
          return anthropicError(ctx, 400, "invalid_request_error", "anthropic-version: header is required");
        }
        const requested = Number(ctx.url.searchParams.get("limit") ?? "20");
        if (!Number.isInteger(requested) || requested < 1 || requested > 1000) {
          return anthropicError(
            ctx,
            400,
            "invalid_request_error",
            "limit: Input should be less than or equal to 1000",
          );
        }
        const limit = Math.min(requested, ctx.options.pageSize ?? 1000);
        const afterId = ctx.url.searchParams.get("after_id");
        const start = afterId === null ? 0 : ctx.models.indexOf(afterId) + 1;
        const page = ctx.models.slice(start, start + limit);
        const id = requestId();
        sendJson(
          ctx.res,
          200,
          {
            data: page.map((model) => ({
              type: "model",
              id: model,
              display_name: displayName(model),
              created_at: "2025-05-22T00:00:00Z",
            })),
            has_more: start + limit < ctx.models.length,
            first_id: page[0] ?? null,
            last_id: page.at(-1) ?? null,
          },
          { "request-id": id, "anthropic-organization-id": "00000000-0000-4000-8000-000000000000" },
        );
      },
      wrongShape: { type: "list", models: [{ id: "claude-sonnet-4-20250514" }] },
    },
    {
      method: "POST",
      path: "/v1/messages",
      handle: handleMessages,
      wrongShape: { type: "message", content: "echo: hi", usage: {} },
    },
  ],
  authenticate(ctx, apiKey) {
    const value = header(ctx, "x-api-key");
    if (value === undefined) return "missing";
    return value === apiKey ? "ok" : "invalid";
  },
  unauthorized(ctx, reason) {
    anthropicError(
      ctx,
      401,
      "authentication_error",
      reason === "missing" ? "x-api-key header is required" : "invalid x-api-key",
    );
  },
  rateLimited(ctx) {
    anthropicError(
      ctx,
      429,
      "rate_limit_error",
      "This request would exceed the rate limit for your organization (00000000-0000-4000-8000-000000000000) of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
      { "retry-after": "12" },
    );
  },
  serverError(ctx) {
    anthropicError(ctx, 500, "api_error", "Internal server error");
  },
  notFound(ctx) {
    anthropicError(ctx, 404, "not_found_error", "Not Found");
  },
};

export function startFakeAnthropic(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(anthropicWireFormat, options);
}
