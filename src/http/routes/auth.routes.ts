import { Type } from "typebox";
import { LoginBody, RefreshBody, RegisterBody } from "../../domain/auth/auth.schemas.js";
import type { AuthService } from "../../domain/auth/auth.service.js";
import type { HttpApp } from "../http-app.js";
import { type RequestAuthenticator, requestMeta } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export interface AuthRoutesDeps {
  auth: Pick<AuthService, "register" | "login" | "refresh" | "logout">;
  authenticate: RequestAuthenticator;
}

const TokenPairRef = Type.Ref("TokenPair");

export async function authRoutes(app: HttpApp, deps: AuthRoutesDeps): Promise<void> {
  app.post(
    "/api/auth/register",
    {
      schema: {
        tags: ["auth"],
        summary: "Create an account",
        description:
          "The first account becomes an admin. After that, registration is open only while the " +
          "`auth.registration` setting is `open` (403 otherwise: an admin creates accounts).",
        body: RegisterBody,
        response: { 201: TokenPairRef, ...problemResponses(403, 409, 422) },
      },
    },
    async (request, reply) => {
      const tokens = await deps.auth.register(request.body, requestMeta(request));
      return reply.code(201).send(tokens);
    },
  );

  app.post(
    "/api/auth/login",
    {
      schema: {
        tags: ["auth"],
        summary: "Sign in with email and password",
        description:
          "401 with the same message whether the email is unknown or the password wrong. Repeated " +
          "failures for one account or from one address answer 429 with Retry-After.",
        body: LoginBody,
        response: { 200: TokenPairRef, ...problemResponses(401, 422, 429) },
      },
    },
    async (request) => deps.auth.login(request.body, requestMeta(request)),
  );

  app.post(
    "/api/auth/refresh",
    {
      schema: {
        tags: ["auth"],
        summary: "Exchange a refresh token for a new pair",
        description:
          "Each refresh token works once. Presenting one that was already used revokes every token " +
          "of that login (its session family) and is recorded in the audit log.",
        body: RefreshBody,
        response: { 200: TokenPairRef, ...problemResponses(401, 422) },
      },
    },
    async (request) => deps.auth.refresh(request.body, requestMeta(request)),
  );

  app.post(
    "/api/auth/logout",
    {
      schema: {
        tags: ["auth"],
        summary: "Sign out: revoke this login's refresh tokens",
        description:
          "Revokes every refresh token of the login behind the access token. The access token itself " +
          "expires on its own within its short lifetime.",
        security: [{ bearer: [] }],
        response: { 204: Type.Null({ description: "Signed out" }), ...problemResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const actor = await deps.authenticate(request);
      await deps.auth.logout(actor);
      return reply.code(204).send(null);
    },
  );
}
