import { randomBytes } from "node:crypto";
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
 * errors in `{type: "error", error: {type, message}, request_id}`, a `request-id` header, and the
 * model listing paged by limit / after_id / before_id. The base URL is `url` itself.
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
