import type { FastifyRequest } from "fastify";
import type { Actor } from "../../domain/actor.js";
import { AuditLogPage, AuditLogQuery } from "../../domain/audit/audit.schemas.js";
import type { AuditService } from "../../domain/audit/audit.service.js";
import type { HttpApp } from "../http-app.js";
import { problemResponses } from "../problem.schema.js";

export interface AdminAuditRoutesDeps {
  audit: Pick<AuditService, "list">;
  /** The caller, or an `unauthorized` AppError. */
  authenticate: (request: FastifyRequest) => Promise<Actor>;
}

export async function adminAuditRoutes(app: HttpApp, deps: AdminAuditRoutesDeps): Promise<void> {
  app.get(
    "/api/admin/audit-logs",
    {
      schema: {
        tags: ["admin"],
        summary: "List audit log entries, newest first (admin only)",
        description:
          "Filter by actor, action (exact, or a prefix such as `auth.*`), resource and time; page with " +
          "`limit` and the `next_cursor` of the previous page. Details never hold secrets: anything that " +
          "looks like one was replaced by [redacted] before the entry was stored.",
        security: [{ bearer: [] }],
        querystring: AuditLogQuery,
        response: { 200: AuditLogPage, ...problemResponses(401, 403, 422) },
      },
    },
    async (request) => {
      const actor = await deps.authenticate(request);
      return deps.audit.list(actor, request.query);
    },
  );
}
