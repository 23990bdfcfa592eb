import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyServerOptions } from "fastify";
import { AppError, type ErrorCode } from "../domain/errors.js";
import { newId } from "../domain/new-id.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { presentError } from "./error-status.js";
import { problemDocument } from "./plugins/problem-errors.js";
import { UNMATCHED_ROUTE } from "./plugins/request-metrics.js";

type ClientErrorHandler = NonNullable<FastifyServerOptions["clientErrorHandler"]>;

/** What Node's HTTP parser refuses, by its error code; any other code is malformed framing. */
const REFUSALS: Partial<Record<string, { code: ErrorCode; detail: string }>> = {
  HPE_HEADER_OVERFLOW: {
    code: "headers_too_large",
    detail: "The request line and headers are larger than the server accepts",
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    code: "payload_too_large",
    detail: "The request's chunk extensions are larger than the server accepts",
  },
  ERR_HTTP_REQUEST_TIMEOUT: { code: "request_timeout", detail: "The request was not received in time" },
};
const MALFORMED = { code: "bad_request", detail: "The request is not well-formed HTTP/1.1" } as const;

/** Node's parser accepts only the methods it knows, all upper case, so no request has this one. */
const UNKNOWN_METHOD = "unknown";

/** Codes of a connection the client already dropped: there is nobody to answer or to tell the log about. */
const GONE = new Set(["ECONNRESET", "EPIPE"]);

/**
 * Requests Node's HTTP parser refuses (headers over its size limit, framing it cannot read, headers
 * that never finish arriving) never become Fastify requests, so neither the error handler nor the
 * request-id hook sees them, and Node and Fastify answer in formats of their own. This answers them
 * in problem+json, with a request id made as request-id.ts makes one (the caller's cannot be read),
 * and closes the connection: after a framing error, where the next request would start is unknown.
 * The path is unknown too (it may never have been read), so /v1 gets problem+json as well.
 * Each refusal is counted with the unrouted requests, so a client sending what the server cannot
 * read shows in the error rate as well as in the log.
 */
export function createClientErrorHandler(deps: {
  logger: Pick<Logger, "info">;
  metrics: Pick<Metrics, "httpRequests">;
}): ClientErrorHandler {
  const { logger, metrics } = deps;
  return (error, socket) => {
    if (GONE.has(error.code) || socket.destroyed) {
      socket.destroy();
      return;
    }
    const refusal = REFUSALS[error.code] ?? MALFORMED;
    const status = presentError(refusal.code).status;
    const requestId = newId();
    // Only the code: the error's rawPacket holds the raw bytes, Authorization header included.
    logger.info({ request_id: requestId, status, code: error.code }, "request refused by the HTTP parser");
    // Neither the method nor when the request began is known (the parser may not have got that
    // far, and does not say): a method no request can have, and no time, rather than a guess.
    metrics.httpRequests.observe(
      { method: UNKNOWN_METHOD, route: UNMATCHED_ROUTE, status: String(status) },
      0,
    );
    if (socket.writable && !responseUnderway(socket)) {
      const body = JSON.stringify(
        problemDocument(new AppError(refusal.code, refusal.detail), status, requestId),
      );
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
          `Date: ${new Date().toUTCString()}\r\n` +
          "Content-Type: application/problem+json; charset=utf-8\r\n" +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          "Connection: close\r\n\r\n" +
          body,
      );
    }
    socket.destroySoon();
  };
}

/**
 * Whether an earlier request's response on this keep-alive socket has begun: answering into the
 * middle of it would corrupt what the client reads, so the socket is only closed (as Node does).
 * The in-flight response is Node's own field on the socket; it has no public accessor.
 */
function responseUnderway(socket: Socket): boolean {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return inFlight?.headersSent === true;
}
