import { createCachedMap } from "../../cache/memory.js";
import type { InvalidationBus } from "../../cache/interface.js";
import type { UserStatus } from "../../db/schema.js";
import type { UsersRepo } from "./users.repo.js";

/** What authentication needs to know about a user on every request. */
export interface Identity {
  id: string;
  email: string;
  status: UserStatus;
  roles: readonly string[];
  /** When all the user's sessions were last revoked (ms since the epoch); undefined if never. */
  sessionsRevokedAt?: number;
}

export interface IdentityLookup {
  byId(userId: string): Promise<Identity | undefined>;
  byEmail(email: string): Promise<Identity | undefined>;
  /** Call after any change to the user's status, roles or existence, in this or any instance. */
  invalidate(userId: string, email?: string): Promise<void>;
}

/**
 * Identities cached per instance and invalidated across instances, so authenticating a request
 * costs no database read, and disabling a user or revoking a role takes effect on the next one.
 */
export function createIdentityLookup(deps: {
  repo: Pick<UsersRepo, "findById" | "findByEmail" | "rolesOf">;
  bus: InvalidationBus;
  ttlMs?: number;
}): IdentityLookup {
  const byId = createCachedMap<Identity>({
    name: "identity",
    max: 50_000,
    ttlMs: deps.ttlMs ?? 60_000,
    bus: deps.bus,
  });
  // email -> id only; the identity itself always comes from byId, so there is one copy to invalidate.
  const idByEmail = createCachedMap<{ id: string }>({
    name: "identity-email",
    max: 50_000,
    ttlMs: deps.ttlMs ?? 60_000,
    bus: deps.bus,
  });

  const loadById = (userId: string) =>
    byId.getOrLoad(userId, async () => {
      const user = await deps.repo.findById(userId);
      if (!user) return undefined;
      const identity: Identity = {
        id: user.id,
        email: user.email,
        status: user.status,
        roles: await deps.repo.rolesOf(user.id),
      };
      if (user.sessionsRevokedAt !== null) identity.sessionsRevokedAt = user.sessionsRevokedAt.getTime();
      return identity;
    });

  return {
    byId: loadById,
    byEmail: async (email) => {
      const normalized = email.trim().toLowerCase();
      const entry = await idByEmail.getOrLoad(normalized, async () => {
        const user = await deps.repo.findByEmail(normalized);
        return user ? { id: user.id } : undefined;
      });
      return entry ? loadById(entry.id) : undefined;
    },
    invalidate: async (userId, email) => {
      const known = email ?? byId.get(userId)?.email;
      await byId.invalidate(userId);
      if (known) await idByEmail.invalidate(known.trim().toLowerCase());
    },
  };
}
