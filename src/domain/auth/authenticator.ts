import type { CachedMap } from "../../cache/interface.js";
import { hashOpaqueToken } from "../../secrets/opaque-token.js";
import type { RequestMeta, UserActor } from "../actor.js";
import { ACT_AS_USER_SCOPE, looksLikeApiKey } from "../api-keys/api-key-format.js";
import type { ApiKeyRecord, ApiKeysRepo } from "../api-keys/api-keys.repo.js";
import type { LastUsedBuffer } from "../api-keys/last-used-buffer.js";
import { AppError } from "../errors.js";
import type { Identity, IdentityLookup } from "../users/identity.js";
import type { AccessTokens } from "./access-token.js";

export interface Credentials {
  /** The Authorization header as sent. */
  authorization: string | undefined;
  /** X-Switchyard-User: the user (id or email) a service key acts for. */
  actAs: string | undefined;
  meta: RequestMeta;
}

export interface Authenticator {
  /** The acting user behind a request, or AppError unauthorized / forbidden. */
  authenticate(credentials: Credentials): Promise<UserActor>;
  /** Drop a key from every instance's cache (after revoke or delete). */
  forgetApiKey(keyHash: string): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The per-request path: a bearer token becomes an actor with no database read when the caches are
 * warm. Every failure is the same 401 message, so a caller cannot probe which keys or users exist.
 */
export function createAuthenticator(deps: {
  accessTokens: Pick<AccessTokens, "verify">;
  identities: Pick<IdentityLookup, "byId" | "byEmail">;
  apiKeys: Pick<ApiKeysRepo, "findByHash">;
  apiKeyCache: CachedMap<ApiKeyRecord>;
  lastUsed: Pick<LastUsedBuffer, "touch">;
  now?: () => number;
}): Authenticator {
  const now = deps.now ?? Date.now;
  const unauthorized = () => new AppError("unauthorized", "Missing, invalid or expired credentials");

  const activeIdentity = async (userId: string): Promise<Identity> => {
    const identity = await deps.identities.byId(userId);
    if (!identity || identity.status !== "active") throw unauthorized();
    return identity;
  };

  const viaApiKey = async (token: string, credentials: Credentials): Promise<UserActor> => {
    const keyHash = hashOpaqueToken(token);
    const key = await deps.apiKeyCache.getOrLoad(keyHash, () => deps.apiKeys.findByHash(keyHash));
    if (!key || key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= now())) throw unauthorized();
    const owner = await activeIdentity(key.userId);
    deps.lastUsed.touch(key.id);
    const limits = { requestsPerMinute: key.rateLimitRpm, tokensPerMinute: key.rateLimitTpm };

    if (credentials.actAs === undefined) {
      return {
        kind: "user",
        userId: owner.id,
        roles: owner.roles,
        via: "api_key",
        apiKeyId: key.id,
        apiKeyLimits: limits,
        meta: credentials.meta,
      };
    }
    // Acting for another user needs the scope and, still today, an admin behind the key.
    if (!key.scopes.includes(ACT_AS_USER_SCOPE) || !owner.roles.includes("admin")) {
      throw new AppError("forbidden", "This key may not act for other users (X-Switchyard-User)");
    }
    const name = credentials.actAs.trim();
    const target = UUID.test(name) ? await deps.identities.byId(name) : await deps.identities.byEmail(name);
    if (!target || target.status !== "active") {
      throw new AppError("not_found", "X-Switchyard-User names no active user");
    }
    return {
      kind: "user",
      userId: target.id,
      roles: target.roles,
      via: "service_key",
      apiKeyId: key.id,
      apiKeyLimits: limits,
      onBehalfOf: { ownerId: owner.id },
      meta: credentials.meta,
    };
  };

  return {
    authenticate: async (credentials) => {
      const header = credentials.authorization;
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      const token = match?.[1];
      if (!token) throw unauthorized();
      if (looksLikeApiKey(token)) return viaApiKey(token, credentials);

      if (credentials.actAs !== undefined) {
        throw new AppError("forbidden", "Only a service key may act for another user (X-Switchyard-User)");
      }
      const claims = await deps.accessTokens.verify(token);
      if (!claims) throw unauthorized();
      const identity = await activeIdentity(claims.userId);
      // Issued before the user's sessions were all revoked (disabled, and since enabled again). iat
      // has whole seconds, so a token of the revocation's own second is refused too: no room in the
      // token for more (typed into a login's email field, it must still fit the field).
      if (
        identity.sessionsRevokedAt !== undefined &&
        claims.issuedAt < Math.ceil(identity.sessionsRevokedAt / 1000)
      ) {
        throw unauthorized();
      }
      return {
        kind: "user",
        userId: identity.id,
        roles: identity.roles,
        via: "access_token",
        sessionId: claims.sessionId,
        meta: credentials.meta,
      };
    },
    forgetApiKey: (keyHash) => deps.apiKeyCache.invalidate(keyHash),
  };
}
