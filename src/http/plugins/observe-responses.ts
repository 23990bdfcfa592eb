import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Something told of every answered request once its response is done: the access log, the request
 * metrics. `elapsedMs` is passed rather than read from `reply.elapsedTime`, which is 0 for the
 * requests Fastify refuses before routing (it starts that clock only for routed ones).
 */
export type ResponseObserver = (request: FastifyRequest, reply: FastifyReply, elapsedMs: number) => void;

/**
 * Runs `observer` from an onResponse hook, which every route and the not-found handler run.
 * Registered on the root instance so no encapsulated plugin escapes it; requests refused before
 * routing run no hooks and are told to the observers by createFrameworkErrorHandler.
 */
export function observeResponses(app: FastifyInstance, observer: ResponseObserver): void {
  // Callback-style: no promise per request for synchronous work.
  app.addHook("onResponse", (request, reply, done) => {
    observer(request, reply, reply.elapsedTime);
    done();
  });
}
