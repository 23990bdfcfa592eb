import { Type } from "typebox";
import {
  CreateUserBody,
  ListUsersQuery,
  UpdateUserBody,
  UserList,
  Uuid,
} from "../../domain/users/users.schemas.js";
import type { UsersService } from "../../domain/users/users.service.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export interface AdminUsersRoutesDeps {
  users: Pick<UsersService, "list" | "get" | "create" | "update" | "delete">;
  authenticate: RequestAuthenticator;
}

const common = { tags: ["admin"], security: [{ bearer: [] }] };
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** User management for admins; every check is in the users service. */
export async function adminUsersRoutes(app: HttpApp, deps: AdminUsersRoutesDeps): Promise<void> {
  app.get(
    "/api/admin/users",
    {
      schema: {
        ...common,
        summary: "List users, oldest first; search by part of an email",
        querystring: ListUsersQuery,
        response: { 200: UserList, ...problemResponses(401, 403, 422) },
      },
    },
    async (request) => deps.users.list(await deps.authenticate(request), request.query),
  );

  app.post(
    "/api/admin/users",
    {
      schema: {
        ...common,
        summary: "Create a user",
        body: CreateUserBody,
        response: { 201: Type.Ref("User"), ...problemResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await deps.users.create(await deps.authenticate(request), request.body)),
  );

  app.get(
    "/api/admin/users/:id",
    {
      schema: {
        ...common,
        summary: "One user",
        params: IdParams,
        response: { 200: Type.Ref("User"), ...problemResponses(401, 403, 404, 422) },
      },
    },
    async (request) => deps.users.get(await deps.authenticate(request), request.params.id),
  );

  app.patch(
    "/api/admin/users/:id",
    {
      schema: {
        ...common,
        summary: "Disable or enable a user, grant or revoke admin, change the display name",
        description:
          "Disabling revokes the user's sessions and API keys at once. The last active admin cannot be " +
          "disabled or lose the admin role (400).",
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: Type.Ref("User"), ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => deps.users.update(await deps.authenticate(request), request.params.id, request.body),
  );

  app.delete(
    "/api/admin/users/:id",
    {
      schema: {
        ...common,
        summary: "Delete a user and everything they own",
        description:
          "Cascades to their sessions, API keys, connections and jobs. The last active admin cannot be deleted (400).",
        params: IdParams,
        response: {
          204: Type.Null({ description: "Deleted" }),
          ...problemResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      await deps.users.delete(await deps.authenticate(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
