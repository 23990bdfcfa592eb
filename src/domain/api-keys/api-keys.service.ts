import { newId } from "../new-id.js";
import { hashOpaqueToken } from "../../secrets/opaque-token.js";
import { type Actor, isAdmin } from "../actor.js";
import type { AuditRecorder } from "../audit/audit.types.js";
import { AppError } from "../errors.js";
import { parseInput } from "../validate.js";
import { ACT_AS_USER_SCOPE, generateApiKey } from "./api-key-format.js";
import { type ApiKeyView, CreateApiKeyBody } from "./api-keys.schemas.js";
import type { ApiKeyRecord, ApiKeysRepo } from "./api-keys.repo.js";

export interface ApiKeysServiceDeps {
  repo: Pick<ApiKeysRepo, "insert" | "listForUser" | "findForUser" | "revoke">;
  forgetApiKey(keyHash: string): Promise<void>;
  audit: Pick<AuditRecorder, "record">;
  now?: () => number;
}

function toView(key: ApiKeyRecord): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    rate_limit_rpm: key.rateLimitRpm,
    rate_limit_tpm: key.rateLimitTpm,
    expires_at: key.expiresAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    created_at: key.createdAt.toISOString(),
  };
}

/** The caller's own API keys. A key is shown once, at creation; only its hash is kept. */
export function createApiKeysService(deps: ApiKeysServiceDeps) {
  const now = deps.now ?? Date.now;
  const owner = (actor: Actor): string => {
    if (actor.kind !== "user") throw new AppError("unauthorized", "No user is signed in");
    // A service key acts for users on the gateway; letting it mint or revoke their keys would turn
    // one leaked service key into lasting access to every account.
    if (actor.via === "service_key") throw new AppError("forbidden", "A service key cannot manage API keys");
    return actor.userId;
  };

  return {
    async list(actor: Actor): Promise<{ items: ApiKeyView[] }> {
      return { items: (await deps.repo.listForUser(owner(actor))).map(toView) };
    },

    async create(actor: Actor, input: unknown): Promise<{ key: string; api_key: ApiKeyView }> {
      const userId = owner(actor);
      const body = parseInput(CreateApiKeyBody, input);
      const scopes = body.scopes ?? [];
      if (scopes.includes(ACT_AS_USER_SCOPE) && !isAdmin(actor)) {
        throw new AppError("forbidden", "Only an admin may create a key with the act_as_user scope");
      }
      const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
      if (expiresAt && expiresAt.getTime() <= now()) {
        throw new AppError("validation_failed", "/expires_at must be in the future", {
          issues: [{ field: "/expires_at", message: "must be in the future" }],
        });
      }
      const { key, prefix } = generateApiKey();
      const record = await deps.repo.insert({
        id: newId(),
        userId,
        name: body.name,
        keyHash: hashOpaqueToken(key),
        prefix,
        scopes,
        expiresAt,
        rateLimitRpm: body.rate_limit_rpm ?? null,
        rateLimitTpm: body.rate_limit_tpm ?? null,
      });
      await deps.audit.record(actor, {
        action: "api_key.create",
        resourceType: "api_key",
        resourceId: record.id,
        details: { name: body.name, prefix, scopes },
      });
      return { key, api_key: toView(record) };
    },

    async revoke(actor: Actor, keyId: string): Promise<void> {
      const userId = owner(actor);
      const key = await deps.repo.findForUser(userId, keyId);
      // Someone else's key, or none: the same 404, so ids do not leak.
      if (!key || key.revokedAt) throw new AppError("not_found", "No API key with that id");
      await deps.repo.revoke(userId, keyId);
      await deps.forgetApiKey(key.keyHash);
      await deps.audit.record(actor, {
        action: "api_key.revoke",
        resourceType: "api_key",
        resourceId: keyId,
        details: { prefix: key.prefix },
      });
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
