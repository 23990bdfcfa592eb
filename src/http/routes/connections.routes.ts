import { Type } from "typebox";
import {
  CreateConnectionBody,
  ConnectionList,
  UpdateConnectionBody,
} from "../../domain/connections/connections.schemas.js";
import { ModelList } from "../../domain/connections/connection-health.schemas.js";
import type { ConnectionHealth } from "../../domain/connections/connection-health.service.js";
import type { ConnectionsService } from "../../domain/connections/connections.service.js";
import { Uuid } from "../../domain/users/users.schemas.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export interface ConnectionsRoutesDeps {
  connections: Pick<ConnectionsService, "list" | "get" | "create" | "update" | "setDefault" | "delete">;
  health: Pick<ConnectionHealth, "test" | "models">;
  authenticate: RequestAuthenticator;
}

const common = { tags: ["connections"], security: [{ bearer: [] }] };
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const ConnectionRef = Type.Ref("Connection");

const NAMED_UPSTREAM =
  "Upstream errors name the upstream by its host and path for the connection's managers, and as the " +
  'connection (`connection "<name>"`) for a caller who may use it but not change it.';

const USAGE_VIEW =
  "A caller who may use a connection but not change it (`can_manage` false: a non-admin and a system " +
  "connection, a plain member and their org's connection) gets its usage view: base_url, " +
  "api_key_hint, api_key_ref, config and last_error are null.";

/** Connections (seed 003's /api/llm-providers): every rule lives in the connections service. */
export async function connectionsRoutes(app: HttpApp, deps: ConnectionsRoutesDeps): Promise<void> {
  app.get(
    "/api/llm-providers",
    {
      schema: {
        ...common,
        summary: "Connections the caller can use: their own, their organizations', the system's",
        description:
          "Ordered by is_default descending, then created_at descending. Keys are never returned. " +
          USAGE_VIEW,
        response: { 200: ConnectionList, ...problemResponses(401) },
      },
    },
    async (request) => deps.connections.list(await deps.authenticate(request)),
  );

  app.post(
    "/api/llm-providers",
    {
      schema: {
        ...common,
        summary: "Create a connection",
        description:
          "scope `user` (default) is the caller's own; `org` needs the org's owner or admin; `system` is " +
          "admins only (403). An owner's first connection becomes its default. A duplicate name for the " +
          "same owner is 409. `mock` and unknown provider types, an empty api_key, timeout_seconds <= 0 " +
          "and a base_url that is not http(s) are 422, naming the field. User and org connections may " +
          "not point at private or link-local addresses unless the `connections.allow_private_base_urls` " +
          "setting allows it.",
        body: CreateConnectionBody,
        response: { 201: ConnectionRef, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await deps.connections.create(await deps.authenticate(request), request.body)),
  );

  app.get(
    "/api/llm-providers/:id",
    {
      schema: {
        ...common,
        summary: "One connection",
        description: USAGE_VIEW,
        params: IdParams,
        response: { 200: ConnectionRef, ...problemResponses(401, 404, 422) },
      },
    },
    async (request) => deps.connections.get(await deps.authenticate(request), request.params.id),
  );

  app.put(
    "/api/llm-providers/:id",
    {
      schema: {
        ...common,
        summary: "Update a connection (partial: only the fields given change)",
        description:
          "`api_key: null` removes the key. `is_default: false` on the default is 400: set another " +
          "connection as the default instead.",
        params: IdParams,
        body: UpdateConnectionBody,
        response: { 200: ConnectionRef, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) =>
      deps.connections.update(await deps.authenticate(request), request.params.id, request.body),
  );

  app.delete(
    "/api/llm-providers/:id",
    {
      schema: {
        ...common,
        summary: "Delete a connection",
        description:
          "Deleting the default while its owner has other connections is 400 (set another default first); " +
          "the system default is never deletable.",
        params: IdParams,
        response: {
          204: Type.Null({ description: "Deleted" }),
          ...problemResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      await deps.connections.delete(await deps.authenticate(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.put(
    "/api/llm-providers/:id/set-default",
    {
      schema: {
        ...common,
        summary: "Make this connection its owner's default",
        description:
          "Clears the owner's previous default in the same transaction, so concurrent calls leave exactly one.",
        params: IdParams,
        response: { 200: ConnectionRef, ...problemResponses(401, 403, 404, 422) },
      },
    },
    async (request) => deps.connections.setDefault(await deps.authenticate(request), request.params.id),
  );

  app.post(
    "/api/llm-providers/:id/test",
    {
      schema: {
        ...common,
        summary: "Test a connection against its upstream",
        description:
          "Calls the upstream's cheapest real endpoint (its model list, never a paid completion) within the " +
          "connection's timeout, and records health_status and last_tested_at. An upstream failure is " +
          "a 200 with health_status `failed` and a sanitized `error`. The result is recorded only when " +
          "the caller may change the connection. Tests and model listings together are limited per " +
          "user, admins included (`ratelimit.user_connection_checks_per_minute`, default 10): past the " +
          "limit, 429 with Retry-After, no upstream call and nothing recorded. " +
          NAMED_UPSTREAM,
        params: IdParams,
        response: { 200: Type.Ref("ConnectionTestResult"), ...problemResponses(401, 404, 422, 429) },
      },
    },
    async (request) => deps.health.test(await deps.authenticate(request), request.params.id),
  );

  app.get(
    "/api/llm-providers/:id/models",
    {
      schema: {
        ...common,
        summary: "The models the connection's upstream lists",
        description:
          "Counted with connection tests against the caller's `ratelimit.user_connection_checks_per_minute`: " +
          "past the limit, 429 with Retry-After and no upstream call. " +
          NAMED_UPSTREAM,
        params: IdParams,
        response: { 200: ModelList, ...problemResponses(400, 401, 404, 422, 429, 502, 504) },
      },
    },
    async (request) => deps.health.models(await deps.authenticate(request), request.params.id),
  );
}
