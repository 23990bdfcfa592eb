import { type Kysely, type Selectable, sql, type Updateable } from "kysely";
import type { Dialect } from "../../db/database-url.js";
import type { ConnectionScope, Database, HealthStatus, LlmProvidersTable } from "../../db/schema.js";
import { parseJson, toBool, toDate, toDateOrNull } from "../../db/values.js";
import type { Executor } from "../users/users.repo.js";
import type { ConnectionConfig } from "./connections.schemas.js";
import type { ProviderType } from "./provider-types.js";

export interface ConnectionRecord {
  id: string;
  scope: ConnectionScope;
  userId: string | null;
  orgId: string | null;
  ownerKey: string;
  name: string;
  providerType: ProviderType;
  baseUrl: string | null;
  model: string | null;
  apiKeyEncrypted: string | null;
  apiKeyRef: string | null;
  apiKeyHint: string | null;
  /** config.headers keeps credential-like names with a placeholder value; see secret-header-values.ts. */
  config: ConnectionConfig | null;
  /** Those headers' values, encrypted as one envelope; null when there are none. */
  secretHeadersEncrypted: string | null;
  timeoutSeconds: number;
  contextWindow: number | null;
  isDefault: boolean;
  isEnabled: boolean;
  healthStatus: HealthStatus;
  lastTestedAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Who may see what: the caller's own connections, their orgs', and the system's. */
export interface Visibility {
  userId: string;
  orgIds: readonly string[];
}

/** A row to insert: the record less what the database derives or fills in. */
export type NewConnection = Omit<
  ConnectionRecord,
  "ownerKey" | "healthStatus" | "lastTestedAt" | "lastError" | "createdAt" | "updatedAt"
>;

export type ConnectionPatch = Partial<
  Pick<
    NewConnection,
    | "name"
    | "providerType"
    | "baseUrl"
    | "model"
    | "apiKeyEncrypted"
    | "apiKeyRef"
    | "apiKeyHint"
    | "config"
    | "secretHeadersEncrypted"
    | "timeoutSeconds"
    | "contextWindow"
    | "isEnabled"
  >
>;

/** The owner key the database derives (see migration 0002); needed before the row exists, for AAD. */
export function ownerKeyOf(scope: ConnectionScope, userId: string | null, orgId: string | null): string {
  if (scope === "user" && userId) return `user:${userId}`;
  if (scope === "org" && orgId) return `org:${orgId}`;
  return "system";
}

function toRecord(row: Selectable<LlmProvidersTable>): ConnectionRecord {
  return {
    id: row.id,
    scope: row.scope,
    userId: row.user_id,
    orgId: row.org_id,
    ownerKey: row.owner_key,
    name: row.name,
    providerType: row.provider_type as ProviderType,
    baseUrl: row.base_url,
    model: row.model,
    apiKeyEncrypted: row.api_key_encrypted,
    apiKeyRef: row.api_key_ref,
    apiKeyHint: row.api_key_hint,
    config: parseJson<ConnectionConfig>(row.config),
    secretHeadersEncrypted: row.secret_headers_encrypted,
    timeoutSeconds: row.timeout_seconds,
    contextWindow: row.context_window,
    isDefault: toBool(row.is_default),
    isEnabled: toBool(row.is_enabled),
    healthStatus: row.health_status,
    lastTestedAt: toDateOrNull(row.last_tested_at),
    lastError: row.last_error,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

const COLUMNS = [
  "id",
  "scope",
  "user_id",
  "org_id",
  "owner_key",
  "name",
  "provider_type",
  "base_url",
  "model",
  "api_key_encrypted",
  "api_key_ref",
  "api_key_hint",
  "config",
  "secret_headers_encrypted",
  "timeout_seconds",
  "context_window",
  "is_default",
  "is_enabled",
  "health_status",
  "last_tested_at",
  "last_error",
  "created_at",
  "updated_at",
] as const;

/** Connections (llm_providers). Reads are scoped by visibility or owner; writes by owner key. */
export function createConnectionsRepo({ db, dialect }: { db: Kysely<Database>; dialect: Dialect }) {
  const select = (executor: Executor) => executor.selectFrom("llm_providers").select(COLUMNS);
  const visible = (executor: Executor, v: Visibility) =>
    select(executor).where((eb) =>
      eb.or([
        eb("scope", "=", "system"),
        eb("user_id", "=", v.userId),
        ...(v.orgIds.length > 0 ? [eb("org_id", "in", v.orgIds)] : []),
      ]),
    );

  return {
    async listVisible(v: Visibility, executor: Executor = db): Promise<ConnectionRecord[]> {
      const rows = await visible(executor, v)
        .orderBy("is_default", "desc")
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .execute();
      return rows.map((r) => toRecord(r as Selectable<LlmProvidersTable>));
    },

    async findVisible(
      id: string,
      v: Visibility,
      executor: Executor = db,
    ): Promise<ConnectionRecord | undefined> {
      const row = await visible(executor, v).where("id", "=", id).executeTakeFirst();
      return row ? toRecord(row as Selectable<LlmProvidersTable>) : undefined;
    },

    /** Every connection of every owner, for operators (the CLI); never reached from a request. */
    async listAll(executor: Executor = db): Promise<ConnectionRecord[]> {
      const rows = await select(executor).orderBy("scope").orderBy("created_at").execute();
      return rows.map((r) => toRecord(r as Selectable<LlmProvidersTable>));
    },

    /**
     * Connections with a config, after `afterId` in id order, for sealing plain header values
     * (operators and start-up only; never reached from a request).
     */
    async pageWithConfig(
      afterId: string | null,
      limit: number,
      executor: Executor = db,
    ): Promise<ConnectionRecord[]> {
      let query = select(executor).where("config", "is not", null);
      if (afterId !== null) query = query.where("id", ">", afterId);
      const rows = await query.orderBy("id").limit(limit).execute();
      return rows.map((r) => toRecord(r as Selectable<LlmProvidersTable>));
    },

    /**
     * Changes how the custom headers are stored, not what they are, so updated_at is left alone (as
     * key rotation does). For a row the caller holds locked (lockOwner).
     */
    async replaceStoredHeaders(
      id: string,
      ownerKey: string,
      stored: { config: ConnectionConfig; secretHeadersEncrypted: string | null },
      executor: Executor,
    ): Promise<void> {
      await executor
        .updateTable("llm_providers")
        .set({
          config: JSON.stringify(stored.config),
          secret_headers_encrypted: stored.secretHeadersEncrypted,
        })
        .where("id", "=", id)
        .where("owner_key", "=", ownerKey)
        .execute();
    },

    async findById(id: string, executor: Executor = db): Promise<ConnectionRecord | undefined> {
      const row = await select(executor).where("id", "=", id).executeTakeFirst();
      return row ? toRecord(row as Selectable<LlmProvidersTable>) : undefined;
    },

    async findByOwnerAndName(ownerKey: string, name: string, executor: Executor = db) {
      const row = await select(executor)
        .where("owner_key", "=", ownerKey)
        .where("name", "=", name)
        .executeTakeFirst();
      return row ? toRecord(row as Selectable<LlmProvidersTable>) : undefined;
    },

    /** The owner's default, or undefined. */
    async defaultOf(ownerKey: string, executor: Executor = db): Promise<ConnectionRecord | undefined> {
      const row = await select(executor)
        .where("owner_key", "=", ownerKey)
        .where("is_default", "=", true)
        .executeTakeFirst();
      return row ? toRecord(row as Selectable<LlmProvidersTable>) : undefined;
    },

    /**
     * Every connection of one owner, locked for the transaction where the dialect has row locks, so
     * default changes for one owner run one after another (SQLite has one writer anyway).
     */
    async lockOwner(ownerKey: string, executor: Executor): Promise<ConnectionRecord[]> {
      let query = select(executor).where("owner_key", "=", ownerKey).orderBy("id");
      if (dialect !== "sqlite") query = query.forUpdate();
      return (await query.execute()).map((r) => toRecord(r as Selectable<LlmProvidersTable>));
    },

    async insert(c: NewConnection, executor: Executor = db): Promise<void> {
      const now = new Date();
      await executor
        .insertInto("llm_providers")
        .values({
          id: c.id,
          scope: c.scope,
          user_id: c.userId,
          org_id: c.orgId,
          name: c.name,
          provider_type: c.providerType,
          base_url: c.baseUrl,
          model: c.model,
          api_key_encrypted: c.apiKeyEncrypted,
          api_key_ref: c.apiKeyRef,
          api_key_hint: c.apiKeyHint,
          config: c.config === null ? null : JSON.stringify(c.config),
          secret_headers_encrypted: c.secretHeadersEncrypted,
          timeout_seconds: c.timeoutSeconds,
          context_window: c.contextWindow,
          is_default: c.isDefault,
          is_enabled: c.isEnabled,
          created_at: now,
          updated_at: now,
        })
        .execute();
    },

    /** Returns whether the row was there to update (a concurrent delete may have taken it). */
    async update(
      id: string,
      ownerKey: string,
      patch: ConnectionPatch,
      executor: Executor = db,
    ): Promise<boolean> {
      const set: Updateable<LlmProvidersTable> = { updated_at: new Date() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.providerType !== undefined) set.provider_type = patch.providerType;
      if (patch.baseUrl !== undefined) set.base_url = patch.baseUrl;
      if (patch.model !== undefined) set.model = patch.model;
      if (patch.apiKeyEncrypted !== undefined) set.api_key_encrypted = patch.apiKeyEncrypted;
      if (patch.apiKeyRef !== undefined) set.api_key_ref = patch.apiKeyRef;
      if (patch.apiKeyHint !== undefined) set.api_key_hint = patch.apiKeyHint;
      if (patch.config !== undefined)
        set.config = patch.config === null ? null : JSON.stringify(patch.config);
      if (patch.secretHeadersEncrypted !== undefined)
        set.secret_headers_encrypted = patch.secretHeadersEncrypted;
      if (patch.timeoutSeconds !== undefined) set.timeout_seconds = patch.timeoutSeconds;
      if (patch.contextWindow !== undefined) set.context_window = patch.contextWindow;
      if (patch.isEnabled !== undefined) set.is_enabled = patch.isEnabled;
      const result = await executor
        .updateTable("llm_providers")
        .set(set)
        .where("id", "=", id)
        .where("owner_key", "=", ownerKey)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /**
     * Makes `id` its owner's only default, within the caller's transaction. The target is locked
     * before the old default is cleared: a target deleted meanwhile must leave the owner's default
     * as it was, so this answers false then and changes nothing.
     */
    async makeDefault(ownerKey: string, id: string, executor: Executor): Promise<boolean> {
      let target = executor
        .selectFrom("llm_providers")
        .select("id")
        .where("id", "=", id)
        .where("owner_key", "=", ownerKey);
      if (dialect !== "sqlite") target = target.forUpdate();
      if (!(await target.executeTakeFirst())) return false;
      await executor
        .updateTable("llm_providers")
        .set({ is_default: false })
        .where("owner_key", "=", ownerKey)
        .where("is_default", "=", true)
        .where("id", "!=", id)
        .execute();
      await executor
        .updateTable("llm_providers")
        .set({ is_default: true, updated_at: new Date() })
        .where("id", "=", id)
        .where("owner_key", "=", ownerKey)
        .execute();
      return true;
    },

    async delete(id: string, executor: Executor = db): Promise<void> {
      await executor.deleteFrom("llm_providers").where("id", "=", id).execute();
    },

    /**
     * Records a check. A success marks the connection ok at once. A failure counts toward
     * `consecutive_failures`; with a threshold (periodic checks) the status turns failed only once
     * that many failures came in a row, without one (a test someone asked for) at once.
     */
    async recordCheck(
      id: string,
      check: { ok: boolean; testedAt: Date; lastError: string | null; failureThreshold?: number },
      executor: Executor = db,
    ): Promise<void> {
      const lastError = check.lastError?.slice(0, 1000) ?? null;
      if (check.ok) {
        await executor
          .updateTable("llm_providers")
          .set({
            health_status: "ok",
            consecutive_failures: 0,
            last_error: null,
            last_tested_at: check.testedAt,
          })
          .where("id", "=", id)
          .execute();
        return;
      }
      const threshold = check.failureThreshold ?? 1;
      await executor
        .updateTable("llm_providers")
        // health_status first: MySQL evaluates SET left to right with the values already assigned.
        .set((eb) => ({
          health_status: sql<HealthStatus>`case when consecutive_failures + 1 >= ${threshold} then 'failed' else health_status end`,
          consecutive_failures: eb("consecutive_failures", "+", 1),
          last_error: lastError,
          last_tested_at: check.testedAt,
        }))
        .where("id", "=", id)
        .execute();
    },

    /**
     * Claims a connection for a periodic check: succeeds for one instance only, by moving
     * last_tested_at forward where it is still older than the cutoff.
     */
    async claimForCheck(id: string, cutoff: Date, now: Date, executor: Executor = db): Promise<boolean> {
      const result = await executor
        .updateTable("llm_providers")
        .set({ last_tested_at: now })
        .where("id", "=", id)
        .where((eb) => eb.or([eb("last_tested_at", "is", null), eb("last_tested_at", "<", cutoff)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Enabled connections not checked since the cutoff, oldest first. */
    async dueForCheck(cutoff: Date, limit: number, executor: Executor = db): Promise<ConnectionRecord[]> {
      const rows = await select(executor)
        .where("is_enabled", "=", true)
        .where((eb) => eb.or([eb("last_tested_at", "is", null), eb("last_tested_at", "<", cutoff)]))
        .orderBy("last_tested_at")
        .limit(limit)
        .execute();
      return rows.map((r) => toRecord(r as Selectable<LlmProvidersTable>));
    },
  };
}

export type ConnectionsRepo = ReturnType<typeof createConnectionsRepo>;
