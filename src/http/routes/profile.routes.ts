import { Type } from "typebox";
import { PutLlmProfileBody } from "../../domain/connections/profile.schemas.js";
import type { ConnectionHealth } from "../../domain/connections/connection-health.service.js";
import type { ProfileService } from "../../domain/connections/profile.service.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export interface ProfileRoutesDeps {
  profile: Pick<ProfileService, "get" | "put" | "connectionId">;
  health: Pick<ConnectionHealth, "test">;
  authenticate: RequestAuthenticator;
}

const common = { tags: ["me"], security: [{ bearer: [] }] };

/** Seed 000's per-user LLM profile: a view of the caller's default personal connection. */
export async function profileRoutes(app: HttpApp, deps: ProfileRoutesDeps): Promise<void> {
  app.get(
    "/api/users/me/llm-profile",
    {
      schema: {
        ...common,
        summary: "The caller's LLM profile, created as `disabled` on first read",
        description: "The key is never returned: `has_api_key` and a 4-character `api_key_hint` instead.",
        response: { 200: Type.Ref("LlmProfile"), ...problemResponses(401) },
      },
    },
    async (request) => deps.profile.get(await deps.authenticate(request)),
  );

  app.put(
    "/api/users/me/llm-profile",
    {
      schema: {
        ...common,
        summary: "Set the caller's LLM profile",
        description:
          '`provider: "disabled"` keeps the settings and stops using them. `mock` is refused (422).',
        body: PutLlmProfileBody,
        response: { 200: Type.Ref("LlmProfile"), ...problemResponses(401, 409, 422) },
      },
    },
    async (request) => deps.profile.put(await deps.authenticate(request), request.body),
  );

  app.post(
    "/api/users/me/llm-profile/test",
    {
      schema: {
        ...common,
        summary: "Test the caller's profile connection against its upstream",
        description:
          "Counted, with connection tests and model listings, against the caller's " +
          "`ratelimit.user_connection_checks_per_minute`: past it, 429 with Retry-After and no upstream call.",
        response: { 200: Type.Ref("ConnectionTestResult"), ...problemResponses(401, 429) },
      },
    },
    async (request) => {
      const actor = await deps.authenticate(request);
      return deps.health.test(actor, await deps.profile.connectionId(actor));
    },
  );
}
