import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.js";
import { parseJson, toDate, toDateOrNull } from "../../db/values.js";
import type { Executor } from "../users/users.repo.js";

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  keyHash: string;
  scopes: string[];
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface NewApiKey {
  id: string;
  userId: string;
  name: string;
  keyHash: string;
  prefix: string;
  scopes: readonly string[];
  expiresAt: Date | null;
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
}

const COLUMNS = [
  "id",
  "user_id",
  "name",
  "prefix",
  "key_hash",
  "scopes",
  "rate_limit_rpm",
  "rate_limit_tpm",
  "expires_at",
  "last_used_at",
  "revoked_at",
  "created_at",
] as const;

/** API keys: only a hash of each is stored. Every query but the lookup by hash is scoped by owner. */
export function createApiKeysRepo(db: Kysely<Database>) {
  type Row = Awaited<ReturnType<ReturnType<typeof selectKeys>["executeTakeFirstOrThrow"]>>;
  const selectKeys = (executor: Executor) => executor.selectFrom("api_keys").select(COLUMNS);
  const toRecord = (row: Row): ApiKeyRecord => ({
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    keyHash: row.key_hash,
    scopes: parseJson<string[]>(row.scopes) ?? [],
    rateLimitRpm: row.rate_limit_rpm,
    rateLimitTpm: row.rate_limit_tpm,
    expiresAt: toDateOrNull(row.expires_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    revokedAt: toDateOrNull(row.revoked_at),
    createdAt: toDate(row.created_at),
  });

  return {
    async insert(key: NewApiKey, executor: Executor = db): Promise<ApiKeyRecord> {
      const createdAt = new Date();
      await executor
        .insertInto("api_keys")
        .values({
          id: key.id,
          user_id: key.userId,
          name: key.name,
          key_hash: key.keyHash,
          prefix: key.prefix,
          scopes: JSON.stringify(key.scopes),
          expires_at: key.expiresAt,
          rate_limit_rpm: key.rateLimitRpm,
          rate_limit_tpm: key.rateLimitTpm,
          created_at: createdAt,
        })
        .execute();
      return {
        ...key,
        scopes: [...key.scopes],
        lastUsedAt: null,
        revokedAt: null,
        createdAt,
      };
    },

    /** The authentication lookup: by hash, whoever owns it. */
    async findByHash(keyHash: string, executor: Executor = db): Promise<ApiKeyRecord | undefined> {
      const row = await selectKeys(executor).where("key_hash", "=", keyHash).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async listForUser(userId: string, executor: Executor = db): Promise<ApiKeyRecord[]> {
      const rows = await selectKeys(executor)
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .execute();
      return rows.map(toRecord);
    },

    async findForUser(
      userId: string,
      id: string,
      executor: Executor = db,
    ): Promise<ApiKeyRecord | undefined> {
      const row = await selectKeys(executor)
        .where("user_id", "=", userId)
        .where("id", "=", id)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async revoke(userId: string, id: string, executor: Executor = db): Promise<void> {
      await executor
        .updateTable("api_keys")
        .set({ revoked_at: new Date() })
        .where("user_id", "=", userId)
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .execute();
    },

    /** Revokes every live key of the user and returns their hashes, to drop them from caches. */
    async revokeAllForUser(userId: string, executor: Executor = db): Promise<string[]> {
      const live = await executor
        .selectFrom("api_keys")
        .select("key_hash")
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .execute();
      await executor
        .updateTable("api_keys")
        .set({ revoked_at: new Date() })
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .execute();
      return live.map((r) => r.key_hash);
    },

    async hashesOfUser(userId: string, executor: Executor = db): Promise<string[]> {
      const rows = await executor
        .selectFrom("api_keys")
        .select("key_hash")
        .where("user_id", "=", userId)
        .execute();
      return rows.map((r) => r.key_hash);
    },

    async touchLastUsed(uses: ReadonlyMap<string, Date>, executor: Executor = db): Promise<void> {
      for (const [id, at] of uses) {
        await executor.updateTable("api_keys").set({ last_used_at: at }).where("id", "=", id).execute();
      }
    },
  };
}

export type ApiKeysRepo = ReturnType<typeof createApiKeysRepo>;
