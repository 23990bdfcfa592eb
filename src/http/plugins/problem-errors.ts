import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isDatabaseUnavailable } from "../../db/database-lost.js";
import { isMissingReference } from "../../db/errors.js";
import { AppError, type ErrorCode, isAppError } from "../../domain/errors.js";
import { fieldIssues } from "../../domain/validate.js";
import { presentError } from "../error-status.js";
import type { ResponseObserver } from "./observe-responses.js";

/**
 * The one error handler. Whatever went wrong becomes an AppError with a code from the closed set,
 * then is written as problem+json under /api (and everywhere else) or as OpenAI's envelope under
 * /v1. Unexpected errors are logged with their stack and answered 500 with no detail, so nothing
 * internal (a SQL fragment, a key) reaches the caller.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) =>
    answerError(error, request, reply, { unrouted: request.is404 }),
  );

  app.setNotFoundHandler((request, reply) => sendError(request, reply, noRoute(request)));
}

/**
 * Fastify's `frameworkErrors` option: a URL the router cannot read (percent-encoding that is not
 * UTF-8, a parameter over maxParamLength) is refused before any route or hook runs, and Fastify's
 * own answer has its own body and no request id. No onResponse hook runs for it either, so the
 * `observers` (the access log, the request metrics) are told here, or these requests would be
 * missing from both.
 */
export function createFrameworkErrorHandler(
  observers: readonly ResponseObserver[],
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const started = performance.now();
    // "close", not "finish": it comes whether or not the client stayed for the answer.
    reply.raw.once("close", () => {
      const elapsedMs = performance.now() - started;
      for (const observe of observers) observe(request, reply, elapsedMs);
    });
    // No onRequest hook runs for these requests.
    reply.header("x-request-id", request.id);
    // A parameter too long for the router matches no route; a path it cannot decode is refused as
    // such ("no route" would hide what is wrong with it). request.is404 is true for both.
    void answerError(error, request, reply, { unrouted: error.code === "FST_ERR_MAX_PARAM_LENGTH" });
  };
}

function answerError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
  { unrouted }: { unrouted: boolean },
): FastifyReply {
  if (clientHungUp(error, request)) {
    // Not a server fault and no stack worth keeping; the answer below reaches nobody, but keeps the
    // request's lifecycle (and its status, if anything records it) that of a client error.
    request.log.info(
      { code: (error as NodeJS.ErrnoException).code },
      "client closed the connection before the request was complete",
    );
    return sendError(
      request,
      reply,
      new AppError("bad_request", "The connection closed before the request body was complete"),
    );
  }
  const appError = toAppError(error);
  if (appError.code === "internal_error") {
    request.log.error({ err: error }, "unhandled error");
  } else if (appError.code === "service_unavailable") {
    request.log.warn({ err: error }, appError.message);
  }
  // Fastify reads a body before its not-found handler runs, so an unknown path with an empty or
  // malformed JSON body failed on the body: that no route exists is the answer a caller can act on.
  if (unrouted && presentError(appError.code).status < 500) {
    return sendError(request, reply, noRoute(request));
  }
  return sendError(request, reply, appError);
}

function noRoute(request: FastifyRequest): AppError {
  return new AppError("not_found", `No route for ${request.method} ${request.url.split("?")[0]}`);
}

const CONNECTION_GONE = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/**
 * A client that hung up mid-body: Node fails the body's stream with ECONNRESET ("aborted"). The
 * code alone could also be an upstream's reset that escaped unwrapped, which is our fault, so the
 * client's own request must be gone too.
 */
function clientHungUp(error: Error, request: FastifyRequest): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && CONNECTION_GONE.has(code) && request.raw.destroyed;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const presentation = presentError(error.code);
  const { openaiType } = presentation;
  const v1 = request.url.startsWith("/v1/") || request.url === "/v1";
  // OpenAI answers an invalid request 400, and its clients expect that; /api keeps 422.
  const status = v1 && error.code === "validation_failed" ? 400 : presentation.status;
  if (error.retryAfterSeconds !== undefined) {
    reply.header("retry-after", String(Math.ceil(error.retryAfterSeconds)));
  }
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  reply.code(status);
  if (v1) {
    return reply.type("application/json; charset=utf-8").send({
      error: {
        message: error.message,
        type: openaiType,
        param: openAIParam(error.issues[0]?.field),
        code: error.code,
      },
    });
  }
  return reply
    .type("application/problem+json; charset=utf-8")
    .send(problemDocument(error, status, request.id));
}

/** The problem+json body for an error: RFC 9457's fields plus our code and the request id. */
export function problemDocument(error: AppError, status: number, requestId: string): Record<string, unknown> {
  return {
    type: `urn:switchyard:error:${error.code}`,
    title: presentError(error.code).title,
    status,
    detail: error.message,
    code: error.code,
    request_id: requestId,
    ...(error.issues.length > 0 ? { errors: error.issues } : {}),
  };
}

/**
 * A field as OpenAI names it in `param` (`messages[0].content`), from the JSON pointer the issues
 * carry (`/messages/0/content`), which /api keeps; null for the body as a whole.
 */
export function openAIParam(pointer: string | undefined): string | null {
  if (pointer === undefined || pointer === "" || pointer === "/") return null;
  let param = "";
  for (const raw of pointer.replace(/^\//, "").split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    param += /^\d+$/.test(segment) ? `[${segment}]` : param === "" ? segment : `.${segment}`;
  }
  return param;
}

/** Fastify's own errors (schema validation, body parsing, limits) mapped into the closed set. */
function toAppError(error: FastifyError | Error): AppError {
  if (isAppError(error)) return error;
  const fastifyError = error as FastifyError;

  if (fastifyError.validation) {
    const context = fastifyError.validationContext;
    const issues = fieldIssues(fastifyError.validation, context && context !== "body" ? `${context}:` : "");
    const first = issues[0];
    const detail = first ? `${first.field} ${first.message}` : "The request is invalid";
    return new AppError("validation_failed", detail, { issues });
  }

  const byFastifyCode: Partial<Record<string, ErrorCode>> = {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
    FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
    FST_ERR_CTP_EMPTY_JSON_BODY: "bad_request",
    FST_ERR_CTP_INVALID_JSON_BODY: "bad_request",
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
    FST_ERR_MAX_PARAM_LENGTH: "not_found",
  };
  // Fastify's message would echo the undecodable path; the caller has it.
  if (fastifyError.code === "FST_ERR_BAD_URL") {
    return new AppError("bad_request", "The path is not validly percent-encoded UTF-8");
  }
  const mapped = fastifyError.code ? byFastifyCode[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, fastifyError.message);

  // Body parse failures (malformed JSON) arrive as 400s without a code we know.
  if (fastifyError.statusCode === 400 && error instanceof SyntaxError) {
    return new AppError("bad_request", "The body is not valid JSON");
  }
  // The last net for a write racing its owner's deletion (services that know the owner say which):
  // the row it refers to is gone, which the caller can act on; nothing broke.
  if (isMissingReference(error)) {
    return new AppError("not_found", "Something this request refers to no longer exists", { cause: error });
  }
  // The database down or gone mid-request: nothing is wrong with the request or the code, and the
  // same request may succeed once the database is back, as /readyz tells a load balancer.
  if (isDatabaseUnavailable(error)) {
    return new AppError("service_unavailable", "The database is unavailable; try again shortly", {
      retryAfterSeconds: 5,
      cause: error,
    });
  }
  if (fastifyError.statusCode === 405) return new AppError("method_not_allowed", "Method not allowed");
  if (fastifyError.statusCode === 503)
    return new AppError("service_unavailable", "The server is shutting down");
  return new AppError("internal_error", "An unexpected error occurred", { cause: error });
}
