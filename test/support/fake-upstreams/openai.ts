import { randomBytes } from "node:crypto";
import {
  header,
  maskKey,
  sendJson,
  startFakeServer,
  type FakeContext,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type FakeWireFormat,
} from "./fake-server.js";
import { handleChatCompletions, handleEmbeddings, type OpenAIChatDialect } from "./openai-chat.js";

/**
 * api.openai.com as the real API answers: routes under /v1, `Authorization: Bearer`, errors in
 * `{error: {message, type, param, code}}`, x-request-id on every answer. The base URL a connection
 * uses is `${url}/v1`. Chat Completions and Embeddings answer as openai-chat.ts describes.
 */

function openaiHeaders(): Record<string, string> {
  return {
    "x-request-id": `req_${randomBytes(16).toString("hex")}`,
    "openai-processing-ms": "12",
    "openai-version": "2020-10-01",
  };
}

function openaiError(
  ctx: FakeContext,
  status: number,
  error: { message: string; type: string; code: string | null },
  extraHeaders: Record<string, string> = {},
): void {
  sendJson(ctx.res, status, { error: { ...error, param: null } }, { ...openaiHeaders(), ...extraHeaders });
}

const CREATED = 1_715_367_049;

const chatDialect: OpenAIChatDialect = {
  headers: openaiHeaders,
  invalid(ctx, message, param) {
    sendJson(
      ctx.res,
      400,
      { error: { message, type: "invalid_request_error", param, code: null } },
      openaiHeaders(),
    );
  },
  defaultModel: () => "gpt-4o",
};

export const openaiWireFormat: FakeWireFormat = {
  routes: [
    {
      method: "GET",
      path: "/v1/models",
      handle(ctx) {
        sendJson(
          ctx.res,
          200,
          {
            object: "list",
            data: ctx.models.map((id) => ({ id, object: "model", created: CREATED, owned_by: "system" })),
          },
          openaiHeaders(),
        );
      },
      wrongShape: { object: "list", data: "gpt-4o" },
    },
    {
      method: "POST",
      path: "/v1/chat/completions",
      handle: (ctx) => handleChatCompletions(ctx, chatDialect),
      wrongShape: { object: "chat.completion", choices: "echo" },
    },
    {
      method: "POST",
      path: "/v1/embeddings",
      handle: (ctx) => handleEmbeddings(ctx, chatDialect),
      wrongShape: { object: "list", data: [{ object: "embedding", index: 0, embedding: { values: [] } }] },
    },
  ],
  authenticate(ctx, apiKey) {
    const value = header(ctx, "authorization");
    if (value === undefined) return "missing";
    return value === `Bearer ${apiKey}` ? "ok" : "invalid";
  },
  unauthorized(ctx, reason) {
    if (reason === "missing") {
      return openaiError(ctx, 401, {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: "invalid_request_error",
        code: null,
      });
    }
    const sent = (header(ctx, "authorization") ?? "").replace(/^Bearer\s+/i, "");
    const shown = ctx.options.echoKey ? sent : maskKey(sent);
    openaiError(ctx, 401, {
      message: `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: "invalid_request_error",
      code: "invalid_api_key",
    });
  },
  rateLimited(ctx) {
    openaiError(
      ctx,
      429,
      {
        message:
          "Rate limit reached for gpt-4o in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
        type: "requests",
        code: "rate_limit_exceeded",
      },
      { "retry-after": "20", "x-ratelimit-limit-requests": "3", "x-ratelimit-remaining-requests": "0" },
    );
  },
  serverError(ctx) {
    openaiError(ctx, 500, {
      message: "The server had an error while processing your request. Sorry about that!",
      type: "server_error",
      code: null,
    });
  },
  notFound(ctx) {
    openaiError(ctx, 404, {
      message: `Invalid URL (${ctx.req.method ?? "GET"} ${ctx.url.pathname})`,
      type: "invalid_request_error",
      code: null,
    });
  },
};

export function startFakeOpenAI(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(openaiWireFormat, options);
}
