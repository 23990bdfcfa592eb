import type { Metrics } from "../../metrics.js";
import type { ResponseObserver } from "./observe-responses.js";

/**
 * The route label of a request no route matched: an unknown path, one the router could not decode,
 * one Node's HTTP parser refused. One value for all of them, so a scan of random paths adds no
 * series.
 */
export const UNMATCHED_ROUTE = "unmatched";

/** Each request into the per-request histogram that /metrics exposes. */
export function createRequestMetrics(metrics: Pick<Metrics, "httpRequests">): ResponseObserver {
  return (request, reply, elapsedMs) => {
    // The route pattern, not the URL: ids in paths would make one series per resource.
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.httpRequests.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      elapsedMs / 1000,
    );
  };
}
