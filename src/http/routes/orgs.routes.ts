import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { Actor } from "../../domain/actor.js";
import {
  AddMemberBody,
  CreateOrgBody,
  MemberList,
  MemberView,
  OrgIdParam,
  OrgList,
  OrgView,
  UpdateMemberBody,
  UpdateOrgBody,
  UserIdParam,
} from "../../domain/orgs/orgs.schemas.js";
import type { OrgsService } from "../../domain/orgs/orgs.service.js";
import type { HttpApp } from "../http-app.js";
import { problemResponses } from "../problem.schema.js";

export interface OrgsRoutesDeps {
  orgs: Pick<
    OrgsService,
    | "listMine"
    | "create"
    | "get"
    | "update"
    | "remove"
    | "listMembers"
    | "addMember"
    | "updateMember"
    | "removeMember"
  >;
  authenticate: (request: FastifyRequest) => Promise<Actor>;
}

const OrgParams = Type.Object({ orgId: OrgIdParam }, { additionalProperties: false });
const MemberParams = Type.Object({ orgId: OrgIdParam, userId: UserIdParam }, { additionalProperties: false });
const NoContent = Type.Null({ description: "Done; no body" });

const common = { tags: ["orgs"], security: [{ bearer: [] }] };

/**
 * Organizations and memberships. An org the caller is not a member of answers 404 (as one that does
 * not exist), unless the caller is a Switchyard admin; permissions are checked in the service.
 */
export async function orgsRoutes(app: HttpApp, deps: OrgsRoutesDeps): Promise<void> {
  app.get(
    "/api/orgs",
    {
      schema: {
        ...common,
        summary: "List the organizations the caller belongs to",
        description: "With the caller's role in each, by name.",
        response: { 200: OrgList, ...problemResponses(401) },
      },
    },
    async (request) => {
      const actor = await deps.authenticate(request);
      return deps.orgs.listMine(actor);
    },
  );

  app.post(
    "/api/orgs",
    {
      schema: {
        ...common,
        summary: "Create an organization",
        description:
          "The caller becomes its owner. Without a slug, one is derived from the name. A slug already in use is 409.",
        body: CreateOrgBody,
        response: { 201: OrgView, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = await deps.authenticate(request);
      const org = await deps.orgs.create(actor, request.body);
      return reply.code(201).send(org);
    },
  );

  app.get(
    "/api/orgs/:orgId",
    {
      schema: {
        ...common,
        summary: "Read an organization",
        description: "Members and Switchyard admins only; anyone else gets 404.",
        params: OrgParams,
        response: { 200: OrgView, ...problemResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const actor = await deps.authenticate(request);
      return deps.orgs.get(actor, request.params.orgId);
    },
  );

  app.patch(
    "/api/orgs/:orgId",
    {
      schema: {
        ...common,
        summary: "Rename an organization",
        description: "Owners and admins of the organization. A slug already in use is 409.",
        params: OrgParams,
        body: UpdateOrgBody,
        response: { 200: OrgView, ...problemResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const actor = await deps.authenticate(request);
      return deps.orgs.update(actor, request.params.orgId, request.body);
    },
  );

  app.delete(
    "/api/orgs/:orgId",
    {
      schema: {
        ...common,
        summary: "Delete an organization",
        description: "Owners only. Its memberships are deleted with it.",
        params: OrgParams,
        response: { 204: NoContent, ...problemResponses(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const actor = await deps.authenticate(request);
      await deps.orgs.remove(actor, request.params.orgId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/api/orgs/:orgId/members",
    {
      schema: {
        ...common,
        summary: "List an organization's members",
        description:
          "Any member may read it, in the order people were added; pending invitees are listed with status invited.",
        params: OrgParams,
        response: { 200: MemberList, ...problemResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const actor = await deps.authenticate(request);
      return deps.orgs.listMembers(actor, request.params.orgId);
    },
  );

  app.post(
    "/api/orgs/:orgId/members",
    {
      schema: {
        ...common,
        summary: "Add a member",
        description:
          "Owners and admins of the organization; only an owner may add an owner. Name an existing user by user_id or email (404 if there is none); an existing member or invitee is 409. The user is invited (status invited) and becomes a member only by accepting (POST /api/orgs/{orgId}/invitation/accept); a Switchyard admin's additions are active at once.",
        params: OrgParams,
        body: AddMemberBody,
        response: { 201: MemberView, ...problemResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const actor = await deps.authenticate(request);
      const member = await deps.orgs.addMember(actor, request.params.orgId, request.body);
      return reply.code(201).send(member);
    },
  );

  app.patch(
    "/api/orgs/:orgId/members/:userId",
    {
      schema: {
        ...common,
        summary: "Change a member's role",
        description:
          "Owners and admins of the organization; granting or taking away owner needs an owner. Demoting the last owner is 400.",
        params: MemberParams,
        body: UpdateMemberBody,
        response: { 200: MemberView, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const actor = await deps.authenticate(request);
      return deps.orgs.updateMember(actor, request.params.orgId, request.params.userId, request.body);
    },
  );

  app.delete(
    "/api/orgs/:orgId/members/:userId",
    {
      schema: {
        ...common,
        summary: "Remove a member, or leave",
        description:
          "A member may remove themselves, and an invitee declines this way; owners and admins remove others or withdraw invitations; removing an owner needs an owner. Removing the last owner is 400.",
        params: MemberParams,
        response: { 204: NoContent, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const actor = await deps.authenticate(request);
      await deps.orgs.removeMember(actor, request.params.orgId, request.params.userId);
      return reply.code(204).send(null);
    },
  );
}
