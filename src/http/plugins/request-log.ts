import type { Logger } from "../../logger.js";
import type { ResponseObserver } from "./observe-responses.js";

/**
 * One access-log line per request. Only method, path, status and time: never headers, query
 * strings or bodies, which is where credentials travel. Probes log at debug so they don't drown
 * the log under a load balancer's health checks.
 */
export function createRequestLog(
  logger: Pick<Logger, "isLevelEnabled" | "error" | "info" | "debug">,
): ResponseObserver {
  return (request, reply, elapsedMs) => {
    const failed = reply.statusCode >= 500;
    // Nothing is looked at for a line the level drops (the gateway under load at warn): a success
    // logs at info or, for a probe, below.
    if (!failed && !logger.isLevelEnabled("info")) return;
    const path = request.url.split("?")[0] ?? request.url;
    const isProbe = path === "/healthz" || path === "/readyz" || path === "/metrics";
    const level = failed ? "error" : isProbe ? "debug" : "info";
    if (!logger.isLevelEnabled(level)) return;
    // Written by the root logger with the request id in the line: the same output as the
    // request's own logger, without making it (see lazy-request-logger.ts).
    const line = {
      request_id: request.id,
      method: request.method,
      path,
      status: reply.statusCode,
      duration_ms: Math.round(elapsedMs * 100) / 100,
    };
    logger[level](line, failed ? "request failed" : "request completed");
  };
}
