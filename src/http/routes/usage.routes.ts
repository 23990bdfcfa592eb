import { UsageQuery, UsageReport } from "../../domain/usage/usage.schemas.js";
import type { UsageService } from "../../domain/usage/usage.service.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export async function usageRoutes(
  app: HttpApp,
  deps: { usage: Pick<UsageService, "mine" | "all">; authenticate: RequestAuthenticator },
): Promise<void> {
  app.get(
    "/api/users/me/usage",
    {
      schema: {
        tags: ["me"],
        security: [{ bearer: [] }],
        summary: "The caller's gateway usage, grouped by day, model or connection",
        querystring: UsageQuery,
        response: { 200: UsageReport, ...problemResponses(401, 422) },
      },
    },
    async (request) => deps.usage.mine(await deps.authenticate(request), request.query),
  );
  app.get(
    "/api/admin/usage",
    {
      schema: {
        tags: ["admin"],
        security: [{ bearer: [] }],
        summary: "Everyone's gateway usage (or one user's), grouped by day, model or connection",
        querystring: UsageQuery,
        response: { 200: UsageReport, ...problemResponses(401, 403, 422) },
      },
    },
    async (request) => deps.usage.all(await deps.authenticate(request), request.query),
  );
}
