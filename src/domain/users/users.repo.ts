import { type Kysely, sql, type Transaction } from "kysely";
import type { Dialect } from "../../db/database-url.js";
import type { Database, UserStatus } from "../../db/schema.js";
import { toDate, toDateOrNull } from "../../db/values.js";

export type Executor = Kysely<Database> | Transaction<Database>;

export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string | null;
  status: UserStatus;
  displayName: string | null;
  /** When all the user's sessions were last revoked (see the users table). */
  sessionsRevokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string | null;
  roles: readonly string[];
}

export interface ListUsersQuery {
  search?: string;
  limit: number;
  offset: number;
}

/** Users, their profile and roles. Emails are stored lower-cased; callers normalize before asking. */
export function createUsersRepo(db: Kysely<Database>, dialect: Dialect) {
  const selectUser = (executor: Executor) =>
    executor
      .selectFrom("users")
      .leftJoin("profiles", "profiles.user_id", "users.id")
      .select([
        "users.id",
        "users.email",
        "users.password_hash",
        "users.status",
        "users.sessions_revoked_at",
        "users.created_at",
        "users.updated_at",
        "profiles.display_name",
      ]);

  type Row = Awaited<ReturnType<ReturnType<typeof selectUser>["executeTakeFirst"]>>;
  const toRecord = (row: NonNullable<Row>): UserRecord => ({
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    status: row.status,
    displayName: row.display_name ?? null,
    sessionsRevokedAt: toDateOrNull(row.sessions_revoked_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  });

  return {
    async findById(id: string, executor: Executor = db): Promise<UserRecord | undefined> {
      const row = await selectUser(executor).where("users.id", "=", id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async findByEmail(email: string, executor: Executor = db): Promise<UserRecord | undefined> {
      const row = await selectUser(executor).where("users.email", "=", email).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async rolesOf(userId: string, executor: Executor = db): Promise<string[]> {
      const rows = await executor
        .selectFrom("user_roles")
        .innerJoin("roles", "roles.id", "user_roles.role_id")
        .select("roles.name")
        .where("user_roles.user_id", "=", userId)
        .orderBy("roles.name")
        .execute();
      return rows.map((r) => r.name);
    },

    async rolesOfMany(userIds: readonly string[], executor: Executor = db): Promise<Map<string, string[]>> {
      const result = new Map<string, string[]>(userIds.map((id) => [id, []]));
      if (userIds.length === 0) return result;
      const rows = await executor
        .selectFrom("user_roles")
        .innerJoin("roles", "roles.id", "user_roles.role_id")
        .select(["user_roles.user_id", "roles.name"])
        .where("user_roles.user_id", "in", userIds)
        .orderBy("roles.name")
        .execute();
      for (const row of rows) result.get(row.user_id)?.push(row.name);
      return result;
    },

    async count(executor: Executor = db): Promise<number> {
      const row = await executor
        .selectFrom("users")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async insert(user: NewUser, executor: Executor = db): Promise<void> {
      const now = new Date();
      await executor
        .insertInto("users")
        .values({
          id: user.id,
          email: user.email,
          password_hash: user.passwordHash,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await executor
        .insertInto("profiles")
        .values({ user_id: user.id, display_name: user.displayName, created_at: now, updated_at: now })
        .execute();
      for (const role of user.roles) await this.addRole(user.id, role, executor);
    },

    async list(
      query: ListUsersQuery,
      executor: Executor = db,
    ): Promise<{ items: UserRecord[]; total: number }> {
      let base = selectUser(executor);
      let counter = executor.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n"));
      if (query.search) {
        // '!' as the escape character: the three dialects disagree on what a backslash means.
        const pattern = `%${query.search.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
        const matches = sql<boolean>`users.email like ${pattern} escape '!'`;
        base = base.where(matches);
        counter = counter.where(matches);
      }
      const [rows, total] = await Promise.all([
        base
          .orderBy("users.created_at", "asc")
          .orderBy("users.id", "asc")
          .limit(query.limit)
          .offset(query.offset)
          .execute(),
        counter.executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map(toRecord), total: Number(total.n) };
    },

    async setStatus(id: string, status: UserStatus, executor: Executor = db): Promise<void> {
      await executor
        .updateTable("users")
        .set({ status, updated_at: new Date() })
        .where("id", "=", id)
        .execute();
    },

    async setPasswordHash(id: string, passwordHash: string, executor: Executor = db): Promise<void> {
      await executor
        .updateTable("users")
        .set({ password_hash: passwordHash, updated_at: new Date() })
        .where("id", "=", id)
        .execute();
    },

    async setDisplayName(id: string, displayName: string | null, executor: Executor = db): Promise<void> {
      await executor
        .updateTable("profiles")
        .set({ display_name: displayName, updated_at: new Date() })
        .where("user_id", "=", id)
        .execute();
    },

    async addRole(userId: string, role: string, executor: Executor = db): Promise<void> {
      const roleRow = await executor
        .selectFrom("roles")
        .select("id")
        .where("name", "=", role)
        .executeTakeFirstOrThrow();
      const existing = await executor
        .selectFrom("user_roles")
        .select("role_id")
        .where("user_id", "=", userId)
        .where("role_id", "=", roleRow.id)
        .executeTakeFirst();
      if (!existing) {
        await executor
          .insertInto("user_roles")
          .values({ user_id: userId, role_id: roleRow.id, created_at: new Date() })
          .execute();
      }
    },

    async removeRole(userId: string, role: string, executor: Executor = db): Promise<void> {
      const roleRow = await executor
        .selectFrom("roles")
        .select("id")
        .where("name", "=", role)
        .executeTakeFirst();
      if (!roleRow) return;
      await executor
        .deleteFrom("user_roles")
        .where("user_id", "=", userId)
        .where("role_id", "=", roleRow.id)
        .execute();
    },

    /**
     * Active admins, read with row locks where the dialect has them, so two concurrent demotions
     * inside transactions cannot both see "another admin remains".
     */
    async activeAdminIds(executor: Executor): Promise<string[]> {
      let query = executor
        .selectFrom("users")
        .innerJoin("user_roles", "user_roles.user_id", "users.id")
        .innerJoin("roles", "roles.id", "user_roles.role_id")
        .select("users.id")
        .where("roles.name", "=", "admin")
        .where("users.status", "=", "active");
      // SQLite has no row locks: it runs one writing transaction at a time, which is stronger.
      if (dialect !== "sqlite") query = query.forUpdate();
      return (await query.execute()).map((r) => r.id);
    },

    async delete(id: string, executor: Executor = db): Promise<boolean> {
      const result = await executor.deleteFrom("users").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
