import { randomBytes } from "node:crypto";
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
 * names as `models/<id>`, listing paged by pageSize (default 50, at most 1000) and pageToken, an
 * HTML 404 from the front end for unknown paths, and `models/<id>:generateContent` /
 * `:streamGenerateContent` (answers as echo-chat.ts says; `alt=sse` streams `data:` events ending
 * in CRLF CRLF, as Google's front end frames them, without it the chunks come as one JSON array).
 * "think first" reasons only when `generationConfig.thinkingConfig.includeThoughts` is true, as
 * Gemini returns thought summaries only then: the reasoning comes first as parts with `thought:
 * true` (one part with all of it in a whole answer, one chunk per piece in a stream), the answer
 * after, its last part carrying a thoughtSignature; unlike the other fakes, usage then counts the
 * pieces of the reasoning as thoughtsTokenCount, in totalTokenCount too, as Gemini bills them.
 * The base URL is `url` itself.
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

function partsOf(content: unknown): Record<string, unknown>[] {
  const parts = asRecord(content)?.parts;
  return Array.isArray(parts) ? parts.map((p) => asRecord(p) ?? {}) : [];
}

function partText(part: Record<string, unknown>): string {
  if (typeof part.text === "string") return part.text;
  const response = asRecord(asRecord(part.functionResponse)?.response);
  return response === undefined
    ? ""
    : typeof response.output === "string"
      ? response.output
      : JSON.stringify(response);
}

/** The checks the real API makes that a translation can get wrong; undefined when the body passes. */
function invalidContents(body: Record<string, unknown>): string | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return "* GenerateContentRequest.contents: contents is not specified";
  }
  let previous: { role: unknown; parts: Record<string, unknown>[] } | undefined;
  for (const [i, value] of body.contents.entries()) {
    const content = asRecord(value) ?? {};
    if (content.role !== "user" && content.role !== "model") {
      return `Please use a valid role: user, model.`;
    }
    const parts = partsOf(content);
    if (parts.length === 0)
      return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    const responses = parts.filter((p) => p.functionResponse !== undefined);
    if (responses.length > 0) {
      const calls =
        previous?.role === "model" ? previous.parts.filter((p) => p.functionCall !== undefined) : [];
      if (calls.length !== responses.length) {
        return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
      }
      const names = new Set(calls.map((p) => asRecord(p.functionCall)?.name));
      if (responses.some((p) => !names.has(asRecord(p.functionResponse)?.name))) {
        return "Please ensure that function response turn comes immediately after a function call turn, with the same names.";
      }
    }
    previous = { role: content.role, parts };
  }
  return undefined;
}

function functionNames(body: Record<string, unknown>): string[] {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return tools.flatMap((tool) => {
    const declarations = asRecord(tool)?.functionDeclarations;
    return Array.isArray(declarations)
      ? declarations.map((d) => asRecord(d)?.name).filter((n): n is string => typeof n === "string")
      : [];
  });
}

function finishReasonOf(plan: EchoPlan): string {
  return plan.ended.reason === "max_tokens" ? "MAX_TOKENS" : "STOP";
}

async function handleGenerate(ctx: FakeContext, model: string, stream: boolean): Promise<void> {
  if (!ctx.models.includes(model)) {
    return googleError(
      ctx,
      404,
      "NOT_FOUND",
      `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
    );
  }
  const body = parseJsonBody(ctx.body);
  if (body === undefined) return googleError(ctx, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
  const invalid = invalidContents(body);
  if (invalid !== undefined) return googleError(ctx, 400, "INVALID_ARGUMENT", invalid);

  const contents = body.contents as unknown[];
  const lastUser = [...contents]
    .reverse()
    .map(asRecord)
    .find((c) => c?.role === "user");
  const userText = partsOf(lastUser).map(partText).join("");
  const config = asRecord(body.generationConfig) ?? {};
  const plan = planEcho(userText, {
    toolName: functionNames(body)[0],
    maxTokens: typeof config.maxOutputTokens === "number" ? config.maxOutputTokens : undefined,
    stop: Array.isArray(config.stopSequences) ? (config.stopSequences as string[]) : undefined,
  });
  const promptTokenCount =
    contents.reduce<number>((n, c) => n + partsOf(c).reduce((m, p) => m + words(partText(p)), 0), 0) +
    partsOf(body.systemInstruction).reduce((n, p) => n + words(partText(p)), 0);
  const responseId = randomBytes(12).toString("base64url");
  const thinking = asRecord(config.thinkingConfig)?.includeThoughts === true;
  const thoughts = pieces((thinking && reasoningFor(userText)) || "");
  const signature = () => ({ thoughtSignature: randomBytes(24).toString("base64") });
  /** Thoughts count from the first chunk on: Gemini thinks before it answers. */
  const usage = (candidates: number, thoughtTokens = thoughts.length) => ({
    promptTokenCount,
    ...(candidates > 0 ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: promptTokenCount + candidates + thoughtTokens,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokenCount }],
    ...(thoughtTokens > 0 ? { thoughtsTokenCount: thoughtTokens } : {}),
  });
  const callPart = plan.tool && {
    functionCall: { name: plan.tool.name, args: plan.tool.args },
    ...signature(),
  };
  /** An answer piece; after thoughts, the last one carries the signature when no call part does. */
  const textPart = (text: string, last: boolean) =>
    last && thoughts.length > 0 && callPart === undefined ? { text, ...signature() } : { text };
  const chunk = (
    parts: unknown[],
    extra: Record<string, unknown>,
    candidates: number,
    thoughtTokens?: number,
  ) => ({
    candidates: [{ content: { parts, role: "model" }, index: 0, ...extra }],
    usageMetadata: usage(candidates, thoughtTokens),
    modelVersion: model,
    responseId,
  });

  if (!stream) {
    const parts = [
      ...(thoughts.length > 0 ? [{ text: thoughts.join(""), thought: true }] : []),
      ...(callPart ? [callPart] : plan.text.length > 0 ? [textPart(plan.text, true)] : []),
    ];
    return sendJson(
      ctx.res,
      200,
      chunk(parts, { finishReason: finishReasonOf(plan) }, plan.completionTokens),
      JSON_UTF8,
    );
  }
  const thoughtChunks = thoughts.map((piece, i) => chunk([{ text: piece, thought: true }], {}, 0, i + 1));

  const sse = ctx.url.searchParams.get("alt") === "sse";
  if (!sse) {
    // Without alt=sse, Google streams one JSON array; this fake sends it whole.
    const all = [
      ...thoughtChunks,
      ...plan.pieces.map((piece, i) => chunk([textPart(piece, i === plan.pieces.length - 1)], {}, i + 1)),
      chunk(callPart ? [callPart] : [], { finishReason: finishReasonOf(plan) }, plan.completionTokens),
    ];
    return sendJson(ctx.res, 200, all, JSON_UTF8);
  }
  ctx.res.writeHead(200, {
    "content-type": "text/event-stream",
    "content-disposition": "attachment",
    vary: "Origin, X-Origin, Referer",
    "x-content-type-options": "nosniff",
  });
  const send = (data: unknown) => ctx.res.write(`data: ${JSON.stringify(data)}\r\n\r\n`);
  for (const thought of thoughtChunks) {
    if (ctx.res.destroyed) return;
    send(thought);
  }
  const last = plan.pieces.length - 1;
  for (const [i, piece] of plan.pieces.entries()) {
    if (ctx.res.destroyed) return;
    const final = i === last && callPart === undefined;
    send(chunk([textPart(piece, i === last)], final ? { finishReason: finishReasonOf(plan) } : {}, i + 1));
    if (i === 0 && plan.streamError) {
      send({
        error: {
          code: 503,
          message: "The model is overloaded. Please try again later.",
          status: "UNAVAILABLE",
        },
      });
      return void ctx.res.end();
    }
    if (i === 0 && plan.cut) return void ctx.res.end();
    if (plan.slow) await ctx.sleep(SLOW_CHUNK_MS);
  }
  if (callPart !== undefined)
    send(chunk([callPart], { finishReason: finishReasonOf(plan) }, plan.completionTokens));
  ctx.res.end();
}

const GENERATE_PATH = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

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
    {
      method: "POST",
      path: GENERATE_PATH,
      handle(ctx) {
        const match = GENERATE_PATH.exec(ctx.url.pathname)!;
        return handleGenerate(ctx, decodeURIComponent(match[1]!), match[2] === "streamGenerateContent");
      },
      wrongShape: { candidates: { text: "echo: hi" } },
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
