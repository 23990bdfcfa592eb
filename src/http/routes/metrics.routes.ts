import type { Metrics } from "../../metrics.js";
import type { HttpApp } from "../http-app.js";

/** `GET /metrics` in Prometheus' text format (request-metrics.ts feeds its request histogram). */
export async function metricsRoutes(app: HttpApp, deps: { metrics: Metrics }): Promise<void> {
  app.get(
    "/metrics",
    { schema: { tags: ["probes"], summary: "Prometheus metrics" } },
    async (_request, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}
