import { randomBytes } from "node:crypto";
import { asRecord, parseJsonBody, planEcho, SLOW_CHUNK_MS, words, type EchoPlan } from "./echo-chat.js";
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

/** The checks the real API makes that a translation can get wrong; undefined when the body passes. */
function invalidMessages(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== "string") return "model: Field required";
  if (typeof body.max_tokens !== "number") return "max_tokens: Field required";
  if (!Array.isArray(body.messages)) return "messages: Field required";
  if (typeof body.temperature === "number" && body.temperature > 1) {
    return "temperature: Input should be less than or equal to 1";
  }
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

  if (body.stream !== true) {
    if (/overloaded/i.test(userText)) return anthropicError(ctx, 529, "overloaded_error", "Overloaded");
    const content: unknown[] = [];
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
  sse(ctx, "content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  });
  sse(ctx, "ping", { type: "ping" });
  const textPieces = plan.tool === undefined ? plan.pieces : [text];
  for (const [i, piece] of textPieces.entries()) {
    if (ctx.res.destroyed) return;
    sse(ctx, "content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: piece },
    });
    if (i === 0 && plan.streamError) {
      sse(ctx, "error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
      return void ctx.res.end();
    }
    if (i === 0 && plan.cut) return void ctx.res.end();
    if (plan.slow) await ctx.sleep(SLOW_CHUNK_MS);
  }
  sse(ctx, "content_block_stop", { type: "content_block_stop", index: 0 });
  if (plan.tool !== undefined) {
    sse(ctx, "content_block_start", {
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: toolId, name: plan.tool.name, input: {} },
    });
    // The input arrives as JSON text cut at arbitrary points, the first piece empty, as Anthropic sends it.
    const json = JSON.stringify(plan.tool.args);
    const cuts = ["", json.slice(0, 5), json.slice(5, 12), json.slice(12)];
    for (const partial of cuts) {
      sse(ctx, "content_block_delta", {
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: partial },
      });
    }
    sse(ctx, "content_block_stop", { type: "content_block_stop", index: 1 });
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
