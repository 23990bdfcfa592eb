import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { OpenAIErrorSchema, ProblemSchema } from "../problem.schema.js";

export interface OpenApiOptions {
  version: string;
}

/**
 * The route schemas are the OpenAPI document: @fastify/swagger collects them as routes register.
 * Served as JSON at /openapi.json and rendered at /docs.
 */
export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  app.addSchema(ProblemSchema);
  app.addSchema(OpenAIErrorSchema);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Switchyard",
        version: options.version,
        description:
          "LLM provider control plane and gateway: connections with encrypted keys, per-user defaults, " +
          "health checks, and an OpenAI-compatible gateway under /v1. Errors under /api are " +
          "application/problem+json; errors under /v1 use OpenAI's error envelope.",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: "An access token from /api/auth/login, or an API key (sy-...)",
          },
        },
      },
      tags: [
        { name: "auth", description: "Accounts, sign-in and token refresh" },
        { name: "me", description: "The caller's own account and API keys" },
        { name: "orgs", description: "Organizations and their members" },
        { name: "connections", description: "Provider connections: system, organization and personal" },
        { name: "admin", description: "User management, settings and the audit log (admins only)" },
        { name: "gateway", description: "OpenAI-compatible /v1: chat completions, embeddings, models" },
        { name: "probes", description: "Liveness, readiness and metadata" },
      ],
    },
    refResolver: {
      // Shared schemas keep their $id as their component name (Problem, OpenAIError).
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
  });

  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
