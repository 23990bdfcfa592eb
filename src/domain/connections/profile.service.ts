import { newId } from "../new-id.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { Actor } from "../actor.js";
import { AppError } from "../errors.js";
import { parseInput } from "../validate.js";
import { shownBaseUrl } from "./base-url-userinfo.js";
import type { ConnectionRecord, ConnectionsRepo } from "./connections.repo.js";
import type { ConnectionsService } from "./connections.service.js";
import { type LlmProfileView, PutLlmProfileBody } from "./profile.schemas.js";

const PROFILE_NAME = "personal";

function toProfileView(c: ConnectionRecord): LlmProfileView {
  return {
    id: c.id,
    user_id: c.userId!,
    provider: c.isEnabled ? c.providerType : "disabled",
    base_url: shownBaseUrl(c.providerType, c.baseUrl),
    model: c.model,
    has_api_key: c.apiKeyEncrypted !== null,
    api_key_hint: c.apiKeyHint,
    timeout_seconds: c.timeoutSeconds,
    context_window: c.contextWindow,
    health_status: c.healthStatus,
    last_tested_at: c.lastTestedAt?.toISOString() ?? null,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

/**
 * Seed 000's per-user LLM profile, kept as what it is: the user's default user-scope connection.
 * There is one copy of the data and one set of rules (the connections service's); the profile only
 * reads it differently, with `provider: "disabled"` when that connection is disabled.
 */
export function createProfileService(deps: {
  repo: Pick<ConnectionsRepo, "defaultOf" | "insert" | "update" | "findById">;
  connections: Pick<ConnectionsService, "update" | "setDefault">;
  onChange(): Promise<void>;
}) {
  const userOf = (actor: Actor) => {
    if (actor.kind !== "user") throw new AppError("unauthorized", "No user is signed in");
    return actor.userId;
  };

  /** The user's default connection, created disabled on first use; touches no other user's rows. */
  async function ensure(userId: string): Promise<ConnectionRecord> {
    const existing = await deps.repo.defaultOf(`user:${userId}`);
    if (existing) return existing;
    const id = newId();
    try {
      await deps.repo.insert({
        id,
        scope: "user",
        userId,
        orgId: null,
        name: PROFILE_NAME,
        // A placeholder type for a disabled profile; PUT sets the real one and validates it.
        providerType: "openai-compatible",
        baseUrl: null,
        model: null,
        apiKeyEncrypted: null,
        apiKeyRef: null,
        apiKeyHint: null,
        config: null,
        secretHeadersEncrypted: null,
        timeoutSeconds: 60,
        contextWindow: null,
        isDefault: true,
        isEnabled: false,
      });
    } catch (error) {
      // A concurrent first request created it (or the name is taken by a non-default): read again.
      if (!isUniqueViolation(error)) throw error;
      const raced = await deps.repo.defaultOf(`user:${userId}`);
      if (raced) return raced;
      throw error;
    }
    await deps.onChange();
    return (await deps.repo.findById(id))!;
  }

  return {
    async get(actor: Actor): Promise<LlmProfileView> {
      return toProfileView(await ensure(userOf(actor)));
    },

    /** Sets the profile: `disabled` keeps the row and stops using it; a provider type validates and enables it. */
    async put(actor: Actor, input: unknown): Promise<LlmProfileView> {
      const userId = userOf(actor);
      const body = parseInput(PutLlmProfileBody, input);
      const profile = await ensure(userId);
      // Disabled keeps (and still saves) whatever else was sent, so nothing in the request is dropped.
      await deps.connections.update(actor, profile.id, {
        ...(body.provider === "disabled"
          ? { is_enabled: false }
          : { provider_type: body.provider, is_enabled: true }),
        ...(body.base_url !== undefined ? { base_url: body.base_url } : {}),
        ...(body.model !== undefined ? { model: body.model } : {}),
        ...(body.api_key !== undefined ? { api_key: body.api_key } : {}),
        ...(body.timeout_seconds !== undefined ? { timeout_seconds: body.timeout_seconds } : {}),
        ...(body.context_window !== undefined ? { context_window: body.context_window } : {}),
      });
      return toProfileView((await deps.repo.findById(profile.id))!);
    },

    /** The connection id behind the caller's profile (for the test endpoint). */
    async connectionId(actor: Actor): Promise<string> {
      return (await ensure(userOf(actor))).id;
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
