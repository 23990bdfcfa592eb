import type { FastifyReply } from "fastify";
import { ChatCompletionRequest, EmbeddingsRequest } from "../../gateway/openai-request.schemas.js";
import type { Gateway } from "../../gateway/gateway.service.js";
import type { ChatWarning } from "../../providers/chat-spec.js";
import { ClientGone } from "../client-gone.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { writeEventStream } from "../write-event-stream.js";

export interface V1RoutesDeps {
  gateway: Pick<Gateway, "chat" | "embeddings" | "models">;
  authenticate: RequestAuthenticator;
}

const common = { tags: ["gateway"], security: [{ bearer: [] }] };
/** How the gateway's error messages name the upstream: see connection-label.ts. */
const NAMED_UPSTREAM =
  "An upstream failure's message names the upstream by its host and path when the caller may change " +
  'the connection, and as the connection (`connection "<name>"`) when they may only use it (a system ' +
  "connection for a non-admin, an org's for a plain member).";
const OpenAIError = { $ref: "OpenAIError#" };
const errors = {
  400: OpenAIError,
  401: OpenAIError,
  403: OpenAIError,
  429: OpenAIError,
  502: OpenAIError,
  504: OpenAIError,
};
// The gateway validates bodies itself (OpenAI's 400s, once); the schema is here for the docs.
const documentOnly = () => (value: unknown) => ({ value });

/** Settings the upstream could not honour, reported rather than dropped. Header values stay ASCII. */
function warningsHeader(reply: FastifyReply, warnings: ChatWarning[]): void {
  if (warnings.length === 0) return;
  const text = warnings.map((w) => `${w.setting}: ${w.message}`).join("; ");
  reply.header("x-switchyard-warnings", text.replace(/[^\x20-\x7e]/g, "?").slice(0, 2000));
}

/** The OpenAI-compatible gateway: what apps call for every LLM request. */
export async function v1Routes(app: HttpApp, deps: V1RoutesDeps): Promise<void> {
  app.post(
    "/v1/chat/completions",
    {
      schema: {
        ...common,
        summary: "Chat completion on the caller's resolved connection (OpenAI-compatible, stream or not)",
        description:
          "`model` is `<connection name>/<model>` to pick a connection the caller may use, or a model for " +
          "the connection the caller resolves to (their default, their org's, the system's). With " +
          "`stream: true` the answer is server-sent events in OpenAI's chunk format. Settings the " +
          "upstream cannot honour are listed in the X-Switchyard-Warnings header. Reasoning the upstream " +
          "returns apart from the answer comes back as `reasoning_content` (in the message, or in the " +
          "deltas of a stream); `reasoning_effort` asks for it where the upstream must be asked. Anthropic's " +
          "thinking also comes as LiteLLM's `thinking_blocks`, signed, which an assistant message hands back " +
          "so that a tool loop goes on thinking. " +
          NAMED_UPSTREAM,
        body: ChatCompletionRequest,
        response: errors,
      },
      validatorCompiler: documentOnly,
    },
    async (request, reply) => {
      const actor = await deps.authenticate(request);
      const result = await deps.gateway.chat(actor, request.body, new ClientGone(reply.raw));
      warningsHeader(reply, result.warnings);
      reply.headers(result.headers);
      if (result.kind === "json") return reply.send(result.body);
      // The events are written straight to the socket (see writeEventStream); Fastify's hooks that
      // watch the response (access log, metrics) still run when it finishes.
      reply.hijack();
      const res = reply.raw;
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) res.setHeader(name, value);
      }
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      await writeEventStream(result.events, res, (error) =>
        request.log.error({ err: error }, "the event stream failed after it started"),
      );
    },
  );

  app.post(
    "/v1/embeddings",
    {
      schema: {
        ...common,
        summary: "Embeddings on the caller's resolved connection",
        description: NAMED_UPSTREAM,
        body: EmbeddingsRequest,
        response: errors,
      },
      validatorCompiler: documentOnly,
    },
    async (request, reply) => {
      const actor = await deps.authenticate(request);
      return reply.send(await deps.gateway.embeddings(actor, request.body, new ClientGone(reply.raw)));
    },
  );

  app.get(
    "/v1/models",
    {
      schema: { ...common, summary: "`<connection name>/<model>` ids the caller may use", response: errors },
    },
    async (request) => deps.gateway.models(await deps.authenticate(request)),
  );
}
