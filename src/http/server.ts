import { type IncomingMessage, maxHeaderSize, type ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, LogController, type RawServerDefault } from "fastify";
import type { Switchyard } from "../app.js";
import { ApiKeyView, CreatedApiKey } from "../domain/api-keys/api-keys.schemas.js";
import type { Authenticator } from "../domain/auth/authenticator.js";
import { TokenPair } from "../domain/auth/auth.schemas.js";
import { ConnectionTestResult } from "../domain/connections/connection-health.schemas.js";
import { ConnectionView } from "../domain/connections/connections.schemas.js";
import { LlmProfileView } from "../domain/connections/profile.schemas.js";
import { UserView } from "../domain/users/users.schemas.js";
import { VERSION } from "../version.js";
import { createClientErrorHandler } from "./client-error-handler.js";
import type { HttpApp } from "./http-app.js";
import { registerJsonBodyParser } from "./plugins/json-body.js";
import { registerOpenApi } from "./plugins/openapi.js";
import { observeResponses } from "./plugins/observe-responses.js";
import { createFrameworkErrorHandler, registerErrorHandling } from "./plugins/problem-errors.js";
import { registerRequestId, requestIdFrom } from "./plugins/request-id.js";
import { lazyChildLoggerFactory } from "./plugins/lazy-request-logger.js";
import { createRequestLog } from "./plugins/request-log.js";
import { createRequestMetrics } from "./plugins/request-metrics.js";
import { validatorCompiler } from "./plugins/validator-compiler.js";
import { createRequestAuthenticator } from "./plugins/authenticate.js";
import { adminAuditRoutes } from "./routes/admin-audit.routes.js";
import { adminSettingsRoutes } from "./routes/admin-settings.routes.js";
import { adminUsersRoutes } from "./routes/admin-users.routes.js";
import { authRoutes } from "./routes/auth.routes.js";
import { connectionsRoutes } from "./routes/connections.routes.js";
import { healthRoutes } from "./routes/health.routes.js";
import { invitationsRoutes } from "./routes/invitations.routes.js";
import { meRoutes } from "./routes/me.routes.js";
import { orgsRoutes } from "./routes/orgs.routes.js";
import { profileRoutes } from "./routes/profile.routes.js";
import { metricsRoutes } from "./routes/metrics.routes.js";
import { usageRoutes } from "./routes/usage.routes.js";
import { v1Routes } from "./routes/v1.routes.js";

export type HttpServerDeps = Pick<
  Switchyard,
  "logger" | "checkDatabase" | "services" | "gateway" | "metrics"
> & {
  authenticator: Pick<Authenticator, "authenticate">;
};

/** Builds the Fastify app with every route registered; it does not listen. */
export async function createHttpServer(deps: HttpServerDeps): Promise<HttpApp> {
  // Told of every request, routed or refused before routing (see createFrameworkErrorHandler).
  const responseObservers = [createRequestLog(deps.logger), createRequestMetrics(deps.metrics)];
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.logger,
    genReqId: requestIdFrom,
    childLoggerFactory: lazyChildLoggerFactory,
    // One line per request, written by registerRequestLog when the response is done, instead of
    // Fastify's two (incoming + completed): half the logging work on the gateway's hot path.
    logController: new LogController({ requestIdLogLabel: "request_id", disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Keep-alive sockets that sit idle are closed at shutdown; in-flight requests finish first.
    forceCloseConnections: "idle",
    return503OnClosing: true,
    // Fastify answers a path parameter over 100 characters 414 itself. A parameter can be no longer
    // than the request line, which Node's header limit already bounds, so the router lets any through
    // and the route answers as it does for any wrong id: 422 for one that is not an id, 404 for an
    // unknown setting key, as other APIs answer a long id. No route here matches with a pattern
    // (the case the limit guards against).
    routerOptions: { maxParamLength: maxHeaderSize },
    // Errors from before routing (an undecodable path) and from Node's HTTP parser (oversized
    // headers, malformed framing) in our formats, with a request id, instead of Fastify's and Node's.
    frameworkErrors: createFrameworkErrorHandler(responseObservers),
    clientErrorHandler: createClientErrorHandler(deps),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // TypeBox checks requests with the same schemas the services use: bodies exactly as sent (no type
  // coercion, no defaults filled in, unknown fields refused), query strings and path parameters
  // converted from text first. Ajv's defaults would turn "" into null and fill omitted fields of a
  // partial update with their defaults.
  app.setValidatorCompiler(validatorCompiler);

  registerRequestId(app);
  // On the root instance, so the hooks see every route.
  for (const observer of responseObservers) observeResponses(app, observer);
  registerErrorHandling(app);
  registerJsonBodyParser(app);
  await registerOpenApi(app, { version: VERSION });
  for (const schema of [
    UserView,
    ApiKeyView,
    CreatedApiKey,
    TokenPair,
    ConnectionView,
    LlmProfileView,
    ConnectionTestResult,
  ]) {
    app.addSchema(schema);
  }

  const { services } = deps;
  const authenticate = createRequestAuthenticator(deps.authenticator);
  await app.register(healthRoutes, { checkDatabase: deps.checkDatabase });
  await app.register(metricsRoutes, { metrics: deps.metrics });
  await app.register(authRoutes, { auth: services.auth, authenticate });
  await app.register(meRoutes, { users: services.users, apiKeys: services.apiKeys, authenticate });
  await app.register(orgsRoutes, { orgs: services.orgs, authenticate });
  await app.register(invitationsRoutes, { orgs: services.orgs, authenticate });
  await app.register(connectionsRoutes, {
    connections: services.connections,
    health: services.health,
    authenticate,
  });
  await app.register(profileRoutes, { profile: services.profile, health: services.health, authenticate });
  await app.register(adminUsersRoutes, { users: services.users, authenticate });
  await app.register(adminSettingsRoutes, { settings: services.settings, authenticate });
  await app.register(adminAuditRoutes, { audit: services.audit, authenticate });
  await app.register(v1Routes, { gateway: deps.gateway, authenticate });
  await app.register(usageRoutes, { usage: services.usage, authenticate });
  return app;
}
