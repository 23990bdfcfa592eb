import type { Kysely } from "kysely";
import { newId } from "../new-id.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { Database } from "../../db/schema.js";
import { type Actor, isAdmin } from "../actor.js";
import type { ApiKeysRepo } from "../api-keys/api-keys.repo.js";
import type { AuditRecorder } from "../audit/audit.types.js";
import type { OrgsRepo } from "../orgs/orgs.repo.js";
import type { PasswordHasher } from "../auth/password-hasher.js";
import type { SessionsRepo } from "../auth/sessions.repo.js";
import { AppError } from "../errors.js";
import { parseInput } from "../validate.js";
import type { IdentityLookup } from "./identity.js";
import { normalizeEmail, toUserView } from "./user-view.js";
import {
  CreateUserBody,
  ListUsersQuery,
  UpdateMeBody,
  UpdateUserBody,
  type UserView,
} from "./users.schemas.js";
import type { UsersRepo } from "./users.repo.js";

export interface UsersServiceDeps {
  db: Kysely<Database>;
  users: UsersRepo;
  sessions: Pick<SessionsRepo, "revokeAllForUser">;
  apiKeys: Pick<ApiKeysRepo, "revokeAllForUser" | "hashesOfUser">;
  /** Drops cached API keys in every instance, so revoked ones fail on their next request. */
  forgetApiKey(keyHash: string): Promise<void>;
  identities: Pick<IdentityLookup, "invalidate">;
  orgs: Pick<OrgsRepo, "orgsSolelyOwnedBy" | "lockUser">;
  passwords: Pick<PasswordHasher, "hash">;
  audit: Pick<AuditRecorder, "record">;
}

/** The caller's own account, and admin user management. */
export function createUsersService(deps: UsersServiceDeps) {
  const requireAdmin = (actor: Actor) => {
    if (!isAdmin(actor)) throw new AppError("forbidden", "Only an admin may manage users");
  };

  const view = async (userId: string): Promise<UserView> => {
    const user = await deps.users.findById(userId);
    if (!user) throw new AppError("not_found", "No user with that id");
    return toUserView(user, await deps.users.rolesOf(userId));
  };

  /** Sessions and keys stop working at once: revoked in the database and dropped from every cache. */
  const cutAccess = async (userId: string) => {
    await deps.sessions.revokeAllForUser(userId);
    for (const hash of await deps.apiKeys.revokeAllForUser(userId)) await deps.forgetApiKey(hash);
  };

  /** Refuses a change that would leave no active admin; runs inside the change's transaction. */
  const keepAnAdmin = async (trx: Parameters<UsersRepo["activeAdminIds"]>[0], userId: string) => {
    const admins = await deps.users.activeAdminIds(trx);
    if (admins.includes(userId) && admins.length === 1) {
      throw new AppError("bad_request", "This is the last active admin: make another admin first");
    }
  };

  return {
    async me(actor: Actor): Promise<UserView> {
      if (actor.kind !== "user") throw new AppError("unauthorized", "No user is signed in");
      return view(actor.userId);
    },

    async updateMe(actor: Actor, input: unknown): Promise<UserView> {
      if (actor.kind !== "user") throw new AppError("unauthorized", "No user is signed in");
      const body = parseInput(UpdateMeBody, input);
      await deps.users.setDisplayName(actor.userId, body.display_name);
      await deps.audit.record(actor, {
        action: "user.update",
        resourceType: "user",
        resourceId: actor.userId,
        details: { display_name: body.display_name },
      });
      return view(actor.userId);
    },

    async list(actor: Actor, input: unknown = {}) {
      requireAdmin(actor);
      const query = parseInput(ListUsersQuery, input);
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const { items, total } = await deps.users.list({ search: query.search, limit, offset });
      const roles = await deps.users.rolesOfMany(items.map((u) => u.id));
      return { items: items.map((u) => toUserView(u, roles.get(u.id) ?? [])), total, limit, offset };
    },

    async get(actor: Actor, userId: string): Promise<UserView> {
      requireAdmin(actor);
      return view(userId);
    },

    async create(actor: Actor, input: unknown): Promise<UserView> {
      requireAdmin(actor);
      const body = parseInput(CreateUserBody, input);
      const email = normalizeEmail(body.email);
      const id = newId();
      const roles = body.admin ? ["admin", "user"] : ["user"];
      const passwordHash = await deps.passwords.hash(body.password);
      try {
        await deps.db
          .transaction()
          .execute((trx) =>
            deps.users.insert(
              { id, email, passwordHash, displayName: body.display_name ?? null, roles },
              trx,
            ),
          );
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError("conflict", "An account with this email already exists");
        throw error;
      }
      // An earlier lookup of this email (say, a service key naming it) may have cached "no one".
      await deps.identities.invalidate(id, email);
      await deps.audit.record(actor, {
        action: "user.create",
        resourceType: "user",
        resourceId: id,
        details: { email, admin: !!body.admin },
      });
      return view(id);
    },

    async update(actor: Actor, userId: string, input: unknown): Promise<UserView> {
      requireAdmin(actor);
      const body = parseInput(UpdateUserBody, input);
      const existing = await deps.users.findById(userId);
      if (!existing) throw new AppError("not_found", "No user with that id");

      await deps.db.transaction().execute(async (trx) => {
        if (body.status === "disabled" || body.admin === false) await keepAnAdmin(trx, userId);
        if (body.status) await deps.users.setStatus(userId, body.status, trx);
        if (body.admin === true) await deps.users.addRole(userId, "admin", trx);
        if (body.admin === false) await deps.users.removeRole(userId, "admin", trx);
        if (body.display_name !== undefined) await deps.users.setDisplayName(userId, body.display_name, trx);
      });
      if (body.status === "disabled" && existing.status !== "disabled") await cutAccess(userId);
      await deps.identities.invalidate(userId, existing.email);
      await deps.audit.record(actor, {
        action: "user.update",
        resourceType: "user",
        resourceId: userId,
        details: { ...body },
      });
      return view(userId);
    },

    async delete(actor: Actor, userId: string): Promise<void> {
      requireAdmin(actor);
      const existing = await deps.users.findById(userId);
      if (!existing) throw new AppError("not_found", "No user with that id");
      const keyHashes = await deps.apiKeys.hashesOfUser(userId);
      await deps.db.transaction().execute(async (trx) => {
        // Deleted meanwhile by another admin: nothing left to do.
        // The same row lock an org's creation takes (orgs.repo lockUser): what the user solely owns
        // cannot change until this deletion is done.
        if (!(await deps.orgs.lockUser(userId, trx))) throw new AppError("not_found", "No user with that id");
        await keepAnAdmin(trx, userId);
        const orphaned = await deps.orgs.orgsSolelyOwnedBy(userId, trx);
        if (orphaned.length > 0) {
          throw new AppError(
            "bad_request",
            `This user is the only owner of ${orphaned.length} organization(s) (${orphaned.join(", ")}): make someone else an owner or delete them first`,
          );
        }
        await deps.users.delete(userId, trx);
      });
      for (const hash of keyHashes) await deps.forgetApiKey(hash);
      await deps.identities.invalidate(userId, existing.email);
      await deps.audit.record(actor, {
        action: "user.delete",
        resourceType: "user",
        resourceId: userId,
        details: { email: existing.email },
      });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
