import { createHash } from "node:crypto";
import {
  asRecord,
  parseJsonBody,
  pieces,
  planEcho,
  reasoningFor,
  SLOW_CHUNK_MS,
  words,
} from "./echo-chat.js";
import {
  header,
  sendJson,
  sendText,
  startFakeServer,
  type FakeContext,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type FakeWireFormat,
} from "./fake-server.js";

/**
 * An Ollama server as it answers: no auth (unless apiKey is set, as behind an authenticating proxy
 * or on ollama.com, then `Authorization: Bearer`), errors as `{"error": "..."}`, Go's plain-text
 * "404 page not found" for unknown paths, and `POST /api/chat` (answers as echo-chat.ts says;
 * streams NDJSON unless `stream: false`, as Ollama does when the field is absent; tool calls carry
 * no id, as older servers send them). "think first" reasons only when `think` is set (true or a
 * level), as a model that thinks only when asked: the reasoning is `message.thinking` beside the
 * content, or streamed a piece a line (content "") before the content's lines. With echoKey, the
 * 401 echoes the key it refused, as some proxies do. The base URL is `url` itself.
 */

const JSON_UTF8 = { "content-type": "application/json; charset=utf-8" };

function ollamaError(
  ctx: FakeContext,
  status: number,
  message: string,
  extra: Record<string, string> = {},
): void {
  sendJson(ctx.res, status, { error: message }, { ...JSON_UTF8, ...extra });
}

function describeModel(name: string) {
  const tagged = name.includes(":") ? name : `${name}:latest`;
  return {
    name: tagged,
    model: tagged,
    modified_at: "2025-01-15T10:20:30.123456789Z",
    size: 2_019_393_189,
    digest: createHash("sha256").update(tagged).digest("hex"),
    details: {
      parent_model: "",
      format: "gguf",
      family: "llama",
      families: ["llama"],
      parameter_size: "3.2B",
      quantization_level: "Q4_K_M",
    },
  };
}

/** `llama3.2` is `llama3.2:latest`. */
function tagged(name: string): string {
  return name.includes(":") ? name : `${name}:latest`;
}

function ollamaTimings(promptEvalCount: number, evalCount: number) {
  return {
    total_duration: 5_191_566_416,
    load_duration: 2_154_458,
    prompt_eval_count: promptEvalCount,
    prompt_eval_duration: 383_809_000,
    eval_count: evalCount,
    eval_duration: 4_799_921_000,
  };
}

async function handleChat(ctx: FakeContext): Promise<void> {
  const body = parseJsonBody(ctx.body);
  if (body === undefined)
    return ollamaError(ctx, 400, "invalid character 'x' looking for beginning of value");
  if (typeof body.model !== "string" || body.model === "") return ollamaError(ctx, 400, "model is required");
  const model = body.model;
  if (!ctx.models.map(tagged).includes(tagged(model))) {
    return ollamaError(ctx, 404, `model "${model}" not found, try pulling it first`);
  }
  const messages = Array.isArray(body.messages) ? body.messages.map((m) => asRecord(m) ?? {}) : [];
  for (const message of messages) {
    if (!["system", "user", "assistant", "tool"].includes(String(message.role))) {
      return ollamaError(ctx, 400, `invalid role: ${String(message.role)}`);
    }
    if (message.content !== undefined && typeof message.content !== "string") {
      return ollamaError(
        ctx,
        400,
        "json: cannot unmarshal array into Go struct field Message.messages.content of type string",
      );
    }
  }
  const lastUser = [...messages].reverse().find((m) => m.role === "user" || m.role === "tool");
  const userText = typeof lastUser?.content === "string" ? lastUser.content : "";
  const options = asRecord(body.options) ?? {};
  const tools = Array.isArray(body.tools) ? body.tools.map((t) => asRecord(asRecord(t)?.function) ?? {}) : [];
  const plan = planEcho(userText, {
    toolName: typeof tools[0]?.name === "string" ? tools[0].name : undefined,
    maxTokens:
      typeof options.num_predict === "number" && options.num_predict >= 0 ? options.num_predict : undefined,
    stop: Array.isArray(options.stop) ? (options.stop as string[]) : undefined,
  });
  const promptEvalCount = messages.reduce(
    (n, m) => n + (typeof m.content === "string" ? words(m.content) : 0),
    0,
  );
  const doneReason = plan.ended.reason === "max_tokens" ? "length" : "stop";
  const toolCalls = plan.tool && [{ function: { name: plan.tool.name, arguments: plan.tool.args } }];
  const createdAt = "2025-01-15T10:20:30.123456789Z";
  const thinking = (Boolean(body.think) && reasoningFor(userText)) || "";

  if (body.stream === false) {
    return sendJson(
      ctx.res,
      200,
      {
        model,
        created_at: createdAt,
        message: {
          role: "assistant",
          content: plan.text,
          ...(thinking ? { thinking } : {}),
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
        },
        done_reason: doneReason,
        done: true,
        ...ollamaTimings(promptEvalCount, plan.completionTokens),
      },
      JSON_UTF8,
    );
  }

  ctx.res.writeHead(200, { "content-type": "application/x-ndjson" });
  const line = (value: unknown) => ctx.res.write(`${JSON.stringify(value)}\n`);
  for (const piece of pieces(thinking)) {
    if (ctx.res.destroyed) return;
    line({
      model,
      created_at: createdAt,
      message: { role: "assistant", content: "", thinking: piece },
      done: false,
    });
  }
  for (const [i, piece] of plan.pieces.entries()) {
    if (ctx.res.destroyed) return;
    line({ model, created_at: createdAt, message: { role: "assistant", content: piece }, done: false });
    if (i === 0 && plan.streamError) {
      line({ error: "an error was encountered while running the model: unexpected EOF" });
      return void ctx.res.end();
    }
    if (i === 0 && plan.cut) return void ctx.res.end();
    if (plan.slow) await ctx.sleep(SLOW_CHUNK_MS);
  }
  if (toolCalls) {
    line({
      model,
      created_at: createdAt,
      message: { role: "assistant", content: "", tool_calls: toolCalls },
      done: false,
    });
  }
  line({
    model,
    created_at: createdAt,
    message: { role: "assistant", content: "" },
    done_reason: doneReason,
    done: true,
    ...ollamaTimings(promptEvalCount, plan.completionTokens),
  });
  ctx.res.end();
}

export const ollamaWireFormat: FakeWireFormat = {
  routes: [
    {
      method: "GET",
      path: "/api/tags",
      handle(ctx) {
        sendJson(ctx.res, 200, { models: ctx.models.map(describeModel) }, JSON_UTF8);
      },
      wrongShape: { models: { "llama3.2:latest": {} } },
    },
    {
      method: "POST",
      path: "/api/chat",
      handle: handleChat,
      wrongShape: { message: "echo: hi", done: "yes" },
    },
  ],
  authenticate(ctx, apiKey) {
    const value = header(ctx, "authorization");
    if (value === undefined) return "missing";
    return value === `Bearer ${apiKey}` ? "ok" : "invalid";
  },
  unauthorized(ctx) {
    // A proxy in front of Ollama may echo the credential it refused (echoKey).
    const sent = header(ctx, "authorization")?.replace(/^Bearer\s+/i, "");
    ollamaError(
      ctx,
      401,
      ctx.options.echoKey && sent ? `unauthorized: invalid API key ${sent}` : "unauthorized",
    );
  },
  rateLimited(ctx) {
    ollamaError(ctx, 429, "too many requests, please try again later", { "retry-after": "5" });
  },
  serverError(ctx) {
    ollamaError(ctx, 500, "llama runner process has terminated: exit status 2");
  },
  notFound(ctx) {
    sendText(ctx.res, 404, "404 page not found");
  },
};

export function startFakeOllama(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(ollamaWireFormat, options);
}
