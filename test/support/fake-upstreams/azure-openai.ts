import { randomBytes } from "node:crypto";
import {
  header,
  sendJson,
  startFakeServer,
  type FakeContext,
  type FakeRoute,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type FakeWireFormat,
} from "./fake-server.js";
import { handleChatCompletions, handleEmbeddings, type OpenAIChatDialect } from "./openai-chat.js";

/**
 * An Azure OpenAI resource (`https://<resource>.openai.azure.com`) as it answers: routes under
 * /openai with a required `api-version` query, the key in `api-key`, errors in
 * `{error: {code, message}}` with the status as a string code. The base URL is `url` itself.
 * Deployments (`/openai/deployments/{name}/chat/completions` and `/embeddings`) answer as
 * openai-chat.ts describes, naming the deployment as the model when the body names none.
 */

function azureHeaders(): Record<string, string> {
  return { "apim-request-id": randomBytes(16).toString("hex"), "x-ms-region": "Sweden Central" };
}

function azureError(ctx: FakeContext, status: number, code: string, message: string): void {
  sendJson(ctx.res, status, { error: { code, message } }, azureHeaders());
}

const CREATED = 1_715_558_400;

const DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;

const chatDialect: OpenAIChatDialect = {
  headers: azureHeaders,
  invalid(ctx, message) {
    azureError(ctx, 400, "BadRequest", message);
  },
  defaultModel: (ctx) => decodeURIComponent(DEPLOYMENT_PATH.exec(ctx.url.pathname)?.[1] ?? "gpt-4o"),
};

/** A deployment call: Azure answers 404 without an api-version, before anything else. */
function deploymentRoute(operation: "chat/completions" | "embeddings"): FakeRoute {
  return {
    method: "POST",
    path: new RegExp(`^/openai/deployments/[^/]+/${operation}$`),
    handle(ctx: FakeContext) {
      if (!ctx.url.searchParams.get("api-version")) return azureError(ctx, 404, "404", "Resource not found");
      return operation === "embeddings"
        ? handleEmbeddings(ctx, chatDialect)
        : handleChatCompletions(ctx, chatDialect);
    },
    wrongShape:
      operation === "embeddings"
        ? { data: [{ embedding: { values: [] } }] }
        : { id: "x", choices: [{ text: "hi" }] },
  };
}

export const azureOpenAIWireFormat: FakeWireFormat = {
  routes: [
    {
      method: "GET",
      path: "/openai/models",
      handle(ctx) {
        if (!ctx.url.searchParams.get("api-version")) {
          return azureError(ctx, 404, "404", "Resource not found");
        }
        sendJson(
          ctx.res,
          200,
          {
            data: ctx.models.map((id) => ({
              status: "succeeded",
              capabilities: { chat_completion: true, completion: false, embeddings: false },
              lifecycle_status: "generally-available",
              id,
              created_at: CREATED,
              object: "model",
            })),
            object: "list",
          },
          azureHeaders(),
        );
      },
      wrongShape: { value: [] },
    },
    deploymentRoute("chat/completions"),
    deploymentRoute("embeddings"),
  ],
  authenticate(ctx, apiKey) {
    const value = header(ctx, "api-key");
    if (value === undefined) return "missing";
    return value === apiKey ? "ok" : "invalid";
  },
  unauthorized(ctx) {
    azureError(
      ctx,
      401,
      "401",
      "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
    );
  },
  rateLimited(ctx) {
    sendJson(
      ctx.res,
      429,
      {
        error: {
          code: "429",
          message:
            "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.",
        },
      },
      { ...azureHeaders(), "retry-after": "6", "retry-after-ms": "6000" },
    );
  },
  serverError(ctx) {
    azureError(ctx, 500, "InternalServerError", "The service is temporarily unable to process your request.");
  },
  notFound(ctx) {
    azureError(ctx, 404, "404", "Resource not found");
  },
};

export function startFakeAzureOpenAI(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  return startFakeServer(azureOpenAIWireFormat, options);
}
