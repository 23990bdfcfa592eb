import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, LogController, type RawServerDefault } from "fastify";
import type { Logger } from "../logger.js";
import type { HttpApp } from "./http-app.js";
import { registerOpenApi } from "./plugins/openapi.js";
import { registerErrorHandling } from "./plugins/problem-errors.js";
import { registerRequestId, requestIdFrom } from "./plugins/request-id.js";
import { registerRequestLog } from "./plugins/request-log.js";
import { healthRoutes } from "./routes/health.routes.js";

export interface HttpServerDeps {
  logger: Logger;
  version: string;
  checkDatabase(): Promise<void>;
}

/** Builds the Fastify app with every route registered; it does not listen. */
export async function createHttpServer(deps: HttpServerDeps): Promise<HttpApp> {
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.logger,
    genReqId: requestIdFrom,
    // One line per request, written by registerRequestLog when the response is done, instead of
    // Fastify's two (incoming + completed): half the logging work on the gateway's hot path.
    logController: new LogController({ requestIdLogLabel: "request_id", disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Keep-alive sockets that sit idle are closed at shutdown; in-flight requests finish first.
    forceCloseConnections: "idle",
    return503OnClosing: true,
    ajv: {
      customOptions: {
        // Unknown fields are an error the caller should hear about, not something dropped silently.
        removeAdditional: false,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerRequestId(app);
  registerRequestLog(app);
  registerErrorHandling(app);
  await registerOpenApi(app, { version: deps.version });
  await app.register(healthRoutes, { checkDatabase: deps.checkDatabase });
  return app;
}
