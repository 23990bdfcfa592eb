import { type Kysely, type Selectable, sql } from "kysely";
import { newId } from "../new-id.js";
import { byCodePoint } from "../../db/by-code-point.js";
import type { Dialect } from "../../db/database-url.js";
import type { Database, SettingsTable } from "../../db/schema.js";
import { toDate } from "../../db/values.js";

/** The database or a transaction on it (Kysely's Transaction is a Kysely), for writes that join one. */
export type Executor = Kysely<Database>;

export interface StoredSetting {
  key: string;
  /** Parsed from the stored JSON text; undefined when the text is not JSON, which no schema accepts. */
  value: unknown;
  description: string | null;
  updatedBy: string | null;
  updatedAt: Date;
}

export interface UpsertSettingInput {
  key: string;
  value: unknown;
  description: string | null;
  updatedBy: string | null;
}

export interface SettingsRepoDeps {
  db: Kysely<Database>;
  /** Upsert syntax differs: ON CONFLICT on PostgreSQL and SQLite, ON DUPLICATE KEY UPDATE on MySQL. */
  dialect: Dialect;
}

export type SettingsRepo = ReturnType<typeof createSettingsRepo>;

/**
 * The settings table holds only values an admin has set; a missing row means the registry default.
 * Settings are global, so there is no owner to scope by.
 */
export function createSettingsRepo({ db, dialect }: SettingsRepoDeps) {
  return {
    async list(executor: Executor = db): Promise<StoredSetting[]> {
      const rows = await executor
        .selectFrom("settings")
        .selectAll()
        .orderBy(byCodePoint(dialect, sql.ref<string>("key")))
        .execute();
      return rows.map(toStoredSetting);
    },

    async findByKey(key: string, executor: Executor = db): Promise<StoredSetting | undefined> {
      const row = await executor.selectFrom("settings").selectAll().where("key", "=", key).executeTakeFirst();
      return row === undefined ? undefined : toStoredSetting(row);
    },

    /**
     * Inserts or replaces the row for the key in one statement, so two concurrent writers of the same
     * key both succeed and the later one wins, instead of one failing on the unique key. Returns the
     * row as written (MySQL has no RETURNING, so it is not read back).
     */
    async upsert(input: UpsertSettingInput, executor: Executor = db): Promise<StoredSetting> {
      const changes = {
        value: JSON.stringify(input.value),
        description: input.description,
        updated_by: input.updatedBy,
        updated_at: new Date(),
      };
      const insert = executor.insertInto("settings").values({ id: newId(), key: input.key, ...changes });
      if (dialect === "mysql") {
        await insert.onDuplicateKeyUpdate(changes).execute();
      } else {
        await insert.onConflict((conflict) => conflict.column("key").doUpdateSet(changes)).execute();
      }
      return {
        key: input.key,
        value: input.value,
        description: input.description,
        updatedBy: input.updatedBy,
        updatedAt: changes.updated_at,
      };
    },

    /** Returns whether a row was there to delete. */
    async delete(key: string, executor: Executor = db): Promise<boolean> {
      const result = await executor.deleteFrom("settings").where("key", "=", key).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

function toStoredSetting(row: Selectable<SettingsTable>): StoredSetting {
  return {
    key: row.key,
    value: parseStoredValue(row.value),
    description: row.description,
    updatedBy: row.updated_by,
    updatedAt: toDate(row.updated_at),
  };
}

function parseStoredValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A hand-edited row must not take the service down; the service falls back to the default.
    return undefined;
  }
}
