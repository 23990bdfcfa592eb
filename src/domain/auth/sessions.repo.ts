import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.js";
import { toDate, toDateOrNull } from "../../db/values.js";
import type { Executor } from "../users/users.repo.js";

export interface SessionRecord {
  id: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  /** When this token, or the whole login it belongs to, was revoked. */
  revokedAt: Date | null;
  rotatedAt: Date | null;
}

export interface NewSession {
  id: string;
  userId: string;
  familyId: string;
  refreshTokenHash: string;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/**
 * One row per refresh token; a family is the chain of rotations that started at one login, with a
 * row of its own. Revocation marks the family row, which every refresh reads, so it also covers a
 * token that a rotation running at the same moment inserts afterwards.
 */
export function createSessionsRepo(db: Kysely<Database>) {
  /**
   * Revokes one login (a family) or, without familyId, every login of the user: the family rows
   * first, since they are what refreshes check, then their tokens. Returns the tokens revoked.
   */
  async function revokeLogins(
    executor: Executor,
    userId: string,
    familyId: string | undefined,
    now: Date,
  ): Promise<number> {
    let families = executor
      .updateTable("session_families")
      .set({ revoked_at: now })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null);
    if (familyId !== undefined) families = families.where("id", "=", familyId);
    await families.execute();
    let tokens = executor
      .updateTable("sessions")
      .set({ revoked_at: now })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null);
    if (familyId !== undefined) tokens = tokens.where("family_id", "=", familyId);
    const result = await tokens.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  return {
    /** Starts a login; its refresh tokens are then inserted with its id as their family. */
    async insertFamily(family: { id: string; userId: string }, executor: Executor = db): Promise<void> {
      await executor
        .insertInto("session_families")
        .values({ id: family.id, user_id: family.userId, created_at: new Date() })
        .execute();
    },

    async insert(session: NewSession, executor: Executor = db): Promise<void> {
      await executor
        .insertInto("sessions")
        .values({
          id: session.id,
          user_id: session.userId,
          family_id: session.familyId,
          refresh_token_hash: session.refreshTokenHash,
          expires_at: session.expiresAt,
          ip: session.ip,
          user_agent: session.userAgent?.slice(0, 500) ?? null,
          created_at: new Date(),
        })
        .execute();
    },

    async findByTokenHash(hash: string, executor: Executor = db): Promise<SessionRecord | undefined> {
      const row = await executor
        .selectFrom("sessions")
        .innerJoin("session_families", "session_families.id", "sessions.family_id")
        .select([
          "sessions.id",
          "sessions.user_id",
          "sessions.family_id",
          "sessions.expires_at",
          "sessions.revoked_at",
          "sessions.rotated_at",
          "session_families.revoked_at as family_revoked_at",
        ])
        .where("sessions.refresh_token_hash", "=", hash)
        .executeTakeFirst();
      return row
        ? {
            id: row.id,
            userId: row.user_id,
            familyId: row.family_id,
            expiresAt: toDate(row.expires_at),
            revokedAt: toDateOrNull(row.family_revoked_at) ?? toDateOrNull(row.revoked_at),
            rotatedAt: toDateOrNull(row.rotated_at),
          }
        : undefined;
    },

    async isFamilyRevoked(familyId: string, executor: Executor = db): Promise<boolean> {
      const row = await executor
        .selectFrom("session_families")
        .select("revoked_at")
        .where("id", "=", familyId)
        .executeTakeFirst();
      return !row || row.revoked_at !== null;
    },

    async familyOf(userId: string, sessionId: string, executor: Executor = db): Promise<string | undefined> {
      const row = await executor
        .selectFrom("sessions")
        .select("family_id")
        .where("user_id", "=", userId)
        .where("id", "=", sessionId)
        .executeTakeFirst();
      return row?.family_id;
    },

    /**
     * Marks the token used. Conditional on it not being used yet, so of two concurrent refreshes with
     * the same token exactly one wins; the loser is treated as reuse.
     */
    async markRotated(id: string, executor: Executor = db): Promise<boolean> {
      const result = await executor
        .updateTable("sessions")
        .set({ rotated_at: new Date() })
        .where("id", "=", id)
        .where("rotated_at", "is", null)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async revoke(userId: string, id: string, executor: Executor = db): Promise<void> {
      await executor
        .updateTable("sessions")
        .set({ revoked_at: new Date() })
        .where("user_id", "=", userId)
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .execute();
    },

    /** Ends a login: the family row first, since it is what refreshes check; returns tokens revoked. */
    revokeFamily: (userId: string, familyId: string, executor: Executor = db): Promise<number> =>
      revokeLogins(executor, userId, familyId, new Date()),

    async revokeAllForUser(userId: string, executor: Executor = db): Promise<void> {
      const now = new Date();
      // Access tokens are stateless: this instant is what refuses those already issued (see authenticator.ts).
      await executor
        .updateTable("users")
        .set({ sessions_revoked_at: now })
        .where("id", "=", userId)
        .execute();
      await revokeLogins(executor, userId, undefined, now);
    },
  };
}

export type SessionsRepo = ReturnType<typeof createSessionsRepo>;
