import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import { newId } from "../../domain/new-id.js";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A caller's X-Request-Id is kept when it is short and plain (so a trace can span a proxy and us);
 * anything else is replaced, since it ends up in log lines and response bodies.
 */
export function requestIdFrom(request: IncomingMessage): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && SAFE_REQUEST_ID.test(given) ? given : newId();
}

export function registerRequestId(app: FastifyInstance): void {
  // Callback-style hooks here and in the access log: no promise per request for synchronous work.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
}
