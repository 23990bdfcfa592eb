import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import { v7 as uuidv7 } from "uuid";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A caller's X-Request-Id is kept when it is short and plain (so a trace can span a proxy and us);
 * anything else is replaced, since it ends up in log lines and response bodies.
 */
export function requestIdFrom(request: IncomingMessage): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && SAFE_REQUEST_ID.test(given) ? given : uuidv7();
}

export function registerRequestId(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
}
