import type { FastifyInstance } from "fastify";

/**
 * One access-log line per request. Only method, path, status and time: never headers, query
 * strings or bodies, which is where credentials travel. Probes log at debug so they don't drown
 * the log under a load balancer's health checks.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook("onResponse", async (request, reply) => {
    const path = request.url.split("?")[0] ?? request.url;
    const line = {
      method: request.method,
      path,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    const isProbe = path === "/healthz" || path === "/readyz" || path === "/metrics";
    if (reply.statusCode >= 500) request.log.error(line, "request failed");
    else if (isProbe) request.log.debug(line, "request completed");
    else request.log.info(line, "request completed");
  });
}
