import { createHash } from "node:crypto";
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
 * "404 page not found" for unknown paths. The base URL is `url` itself.
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
  ],
  authenticate(ctx, apiKey) {
    const value = header(ctx, "authorization");
    if (value === undefined) return "missing";
    return value === `Bearer ${apiKey}` ? "ok" : "invalid";
  },
  unauthorized(ctx) {
    ollamaError(ctx, 401, "unauthorized");
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
