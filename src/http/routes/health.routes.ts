import { Type } from "typebox";
import { AppError } from "../../domain/errors.js";
import type { HttpApp } from "../http-app.js";
import { problemResponses } from "../problem.schema.js";

export interface HealthRoutesDeps {
  /** Resolves when the database answers; rejects otherwise. */
  checkDatabase(): Promise<void>;
}

const StatusSchema = Type.Object({ status: Type.String() });

export async function healthRoutes(app: HttpApp, deps: HealthRoutesDeps): Promise<void> {
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["probes"],
        summary: "Liveness: the process is up",
        response: { 200: { ...StatusSchema, examples: [{ status: "ok" }] } },
      },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/readyz",
    {
      schema: {
        tags: ["probes"],
        summary: "Readiness: the database answers",
        response: { 200: { ...StatusSchema, examples: [{ status: "ready" }] }, ...problemResponses(503) },
      },
    },
    async () => {
      try {
        await deps.checkDatabase();
      } catch (error) {
        throw new AppError("service_unavailable", "The database is not reachable", {
          retryAfterSeconds: 5,
          cause: error,
        });
      }
      return { status: "ready" };
    },
  );
}
