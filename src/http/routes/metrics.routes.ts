import type { Metrics } from "../../metrics.js";
import type { HttpApp } from "../http-app.js";

/** `GET /metrics` in Prometheus' text format, and the per-request histogram that feeds it. */
export async function metricsRoutes(app: HttpApp, deps: { metrics: Metrics }): Promise<void> {
  app.addHook("onResponse", (request, reply, done) => {
    // The route pattern, not the URL: ids in paths would make one series per resource.
    const route = request.routeOptions.url ?? "unmatched";
    deps.metrics.httpRequests.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get(
    "/metrics",
    { schema: { tags: ["probes"], summary: "Prometheus metrics" } },
    async (_request, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}
