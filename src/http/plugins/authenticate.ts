import type { FastifyRequest } from "fastify";
import type { RequestMeta, UserActor } from "../../domain/actor.js";
import type { Authenticator } from "../../domain/auth/authenticator.js";

export type RequestAuthenticator = (request: FastifyRequest) => Promise<UserActor>;

export function requestMeta(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers["user-agent"];
  return {
    ip: request.ip ?? null,
    userAgent: typeof userAgent === "string" ? userAgent : null,
    requestId: request.id,
  };
}

/**
 * What every authenticated handler calls first: `const actor = await authenticate(request)`. The
 * result is kept on the request, so hooks and handlers can ask again at no cost.
 */
export function createRequestAuthenticator(
  authenticator: Pick<Authenticator, "authenticate">,
): RequestAuthenticator {
  const resolved = new WeakMap<FastifyRequest, Promise<UserActor>>();
  return (request) => {
    let actor = resolved.get(request);
    if (!actor) {
      const actAs = request.headers["x-switchyard-user"];
      actor = authenticator.authenticate({
        authorization: request.headers.authorization,
        actAs: typeof actAs === "string" ? actAs : undefined,
        meta: requestMeta(request),
      });
      resolved.set(request, actor);
    }
    return actor;
  };
}
