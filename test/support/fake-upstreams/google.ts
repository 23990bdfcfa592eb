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
 * generativelanguage.googleapis.com (Gemini API) as the real API answers: the key in
 * `x-goog-api-key` or `?key=`, errors in `{error: {code, message, status, details}}` (a wrong key is
 * 400 INVALID_ARGUMENT with reason API_KEY_INVALID, a missing one 403 PERMISSION_DENIED), model
 * names as `models/<id>`, listing paged by pageSize (default 50, at most 1000) and pageToken, and an
 * HTML 404 from the front end for unknown paths. The base URL is `url` itself.
 */

const JSON_UTF8 = { "content-type": "application/json; charset=UTF-8" };

function googleError(
  ctx: FakeContext,
  code: number,
  status: string,
  message: string,
  details?: unknown[],
): void {
  sendJson(ctx.res, code, { error: { code, message, status, ...(details ? { details } : {}) } }, JSON_UTF8);
}

function sentKey(ctx: FakeContext): string | undefined {
  return header(ctx, "x-goog-api-key") ?? ctx.url.searchParams.get("key") ?? undefined;
}

/** Page tokens are opaque to clients; here, the offset of the next page. */
function pageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64url");
}

function offsetOf(token: string | null): number {
  if (token === null) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  return match ? Number(match[1]) : -1;
}

function describeModel(id: string) {
  return {
    name: `models/${id}`,
    version: "001",
    displayName: id,
    description: `Fake ${id}`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 8192,
    supportedGenerationMethods: ["generateContent", "countTokens"],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
  };
}

export const googleWireFormat: FakeWireFormat = {
  routes: [
    {
      method: "GET",
      path: "/v1beta/models",
      handle(ctx) {
        const requested = Number(ctx.url.searchParams.get("pageSize") ?? "50");
        const pageSize = Math.min(Math.max(1, Math.min(requested, 1000)), ctx.options.pageSize ?? 1000);
        const offset = offsetOf(ctx.url.searchParams.get("pageToken"));
        if (offset < 0) return googleError(ctx, 400, "INVALID_ARGUMENT", "Invalid page token.");
        const page = ctx.models.slice(offset, offset + pageSize);
        const next = offset + pageSize < ctx.models.length ? pageToken(offset + pageSize) : undefined;
        sendJson(
          ctx.res,
          200,
          { models: page.map(describeModel), ...(next ? { nextPageToken: next } : {}) },
          JSON_UTF8,
        );
      },
      wrongShape: { models: [{ displayName: "Gemini 2.5 Flash" }] },
    },
  ],
  authenticate(ctx, apiKey) {
    const key = sentKey(ctx);
    if (key === undefined) return "missing";
    return key === apiKey ? "ok" : "invalid";
  },
  unauthorized(ctx, reason) {
    if (reason === "missing") {
      return googleError(
        ctx,
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    googleError(ctx, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        locale: "en-US",
        message: "API key not valid. Please pass a valid API key.",
      },
    ]);
  },
  rateLimited(ctx) {
    googleError(
      ctx,
      429,
      "RESOURCE_EXHAUSTED",
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
      [
        {
          "@type": "type.googleapis.com/google.rpc.QuotaFailure",
          violations: [
            {
              quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
              quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            },
          ],
        },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" },
      ],
    );
  },
  serverError(ctx) {
    googleError(
      ctx,
      500,
      "INTERNAL",
      "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    );
  },
  notFound(ctx) {
    sendText(
      ctx.res,
      404,
      `<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${ctx.url.pathname}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`,
      "text/html; charset=UTF-8",
    );
  },
};

export function startFakeGoogle(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(googleWireFormat, options);
}
