import { Type } from "typebox";
import { CreateApiKeyBody } from "../../domain/api-keys/api-keys.schemas.js";
import type { ApiKeysService } from "../../domain/api-keys/api-keys.service.js";
import { UpdateMeBody, Uuid } from "../../domain/users/users.schemas.js";
import type { UsersService } from "../../domain/users/users.service.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export interface MeRoutesDeps {
  users: Pick<UsersService, "me" | "updateMe">;
  apiKeys: Pick<ApiKeysService, "list" | "create" | "revoke">;
  authenticate: RequestAuthenticator;
}

const common = { tags: ["me"], security: [{ bearer: [] }] };

/** The caller's own account and API keys. */
export async function meRoutes(app: HttpApp, deps: MeRoutesDeps): Promise<void> {
  app.get(
    "/api/users/me",
    {
      schema: {
        ...common,
        summary: "The caller: account, roles and profile",
        response: { 200: Type.Ref("User"), ...problemResponses(401) },
      },
    },
    async (request) => deps.users.me(await deps.authenticate(request)),
  );

  app.patch(
    "/api/users/me",
    {
      schema: {
        ...common,
        summary: "Update the caller's profile",
        body: UpdateMeBody,
        response: { 200: Type.Ref("User"), ...problemResponses(401, 422) },
      },
    },
    async (request) => deps.users.updateMe(await deps.authenticate(request), request.body),
  );

  app.get(
    "/api/users/me/api-keys",
    {
      schema: {
        ...common,
        summary: "The caller's API keys (never the keys themselves)",
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref("ApiKey")) }),
          ...problemResponses(401, 403),
        },
      },
    },
    async (request) => deps.apiKeys.list(await deps.authenticate(request)),
  );

  app.post(
    "/api/users/me/api-keys",
    {
      schema: {
        ...common,
        summary: "Create an API key; the key is in this response only",
        description:
          "Keys look like `sy-…`. Only a hash is stored: keep the `key` from this response. With " +
          '`scopes: ["act_as_user"]` (admins only) the key is a service key that may act for any ' +
          "user named in the `X-Switchyard-User` header (an id or an email).",
        body: CreateApiKeyBody,
        response: { 201: Type.Ref("CreatedApiKey"), ...problemResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const created = await deps.apiKeys.create(await deps.authenticate(request), request.body);
      return reply.code(201).send(created);
    },
  );

  app.delete(
    "/api/users/me/api-keys/:id",
    {
      schema: {
        ...common,
        summary: "Revoke one of the caller's API keys; it stops working at once",
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: "Revoked" }), ...problemResponses(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await deps.apiKeys.revoke(await deps.authenticate(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
