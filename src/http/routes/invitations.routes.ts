import { Type } from "typebox";
import { InvitationList, OrgIdParam, OrgView } from "../../domain/orgs/orgs.schemas.js";
import type { OrgsService } from "../../domain/orgs/orgs.service.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export interface InvitationsRoutesDeps {
  orgs: Pick<OrgsService, "listInvitations" | "acceptInvitation">;
  authenticate: RequestAuthenticator;
}

const OrgParams = Type.Object({ orgId: OrgIdParam }, { additionalProperties: false });

const common = { tags: ["orgs"], security: [{ bearer: [] }] };

/**
 * The caller's invitations to organizations. Someone added to an org by one of its members is
 * invited, and becomes a member only by accepting here; declining is leaving the org
 * (DELETE /api/orgs/{orgId}/members/{own user id}).
 */
export async function invitationsRoutes(app: HttpApp, deps: InvitationsRoutesDeps): Promise<void> {
  app.get(
    "/api/users/me/invitations",
    {
      schema: {
        ...common,
        summary: "List the caller's pending invitations",
        description: "Oldest first. An invitation grants nothing until it is accepted.",
        response: { 200: InvitationList, ...problemResponses(401) },
      },
    },
    async (request) => deps.orgs.listInvitations(await deps.authenticate(request)),
  );

  app.post(
    "/api/orgs/:orgId/invitation/accept",
    {
      schema: {
        ...common,
        summary: "Accept an invitation to an organization",
        description:
          "The caller becomes a member with the role they were invited with. 404 when the caller has no pending invitation to it; 409 when they are a member already.",
        params: OrgParams,
        response: { 200: OrgView, ...problemResponses(401, 404, 409, 422) },
      },
    },
    async (request) => deps.orgs.acceptInvitation(await deps.authenticate(request), request.params.orgId),
  );
}
