import { type Kysely, type Selectable, sql } from "kysely";
import { newId } from "../new-id.js";
import type { AuditLogsTable, Database } from "../../db/schema.js";
import { parseJson, toDate } from "../../db/values.js";
import type { AuditPosition } from "./audit.cursor.js";

/** The database or a transaction on it (Kysely's Transaction is a Kysely), for writes that join one. */
export type Executor = Kysely<Database>;

export interface AuditLogRecord {
  id: string;
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  /** Null when none were recorded, or when the stored text is not a JSON object. */
  details: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: Date;
}

/** A row to write; `details` must already be redacted (the service does that). */
export interface NewAuditLog {
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditLogFilter {
  actorId?: string;
  /** `exact` matches the whole action; `prefix` every action that starts with it (`auth.`). */
  action?: { exact: string } | { prefix: string };
  resourceType?: string;
  resourceId?: string;
  /** created_at >= from. */
  from?: Date;
  /** created_at < to. */
  to?: Date;
}

export interface AuditLogPageRequest {
  /** 1..200; the service checks it. */
  limit: number;
  /** The last row of the previous page; this page starts after it. */
  after?: AuditPosition;
}

export interface AuditLogRows {
  items: AuditLogRecord[];
  /** Where the next page starts, or null when this page is the last. */
  next: AuditPosition | null;
}

/**
 * Column widths from migration 0003. Values are cut to fit, since PostgreSQL and strict MySQL refuse
 * a longer value outright and a lost audit row is worse than a shortened user agent.
 */
const WIDTHS = {
  actor_label: 320,
  action: 100,
  resource_type: 64,
  resource_id: 64,
  ip: 64,
  user_agent: 500,
  request_id: 128,
} as const;

export type AuditRepo = ReturnType<typeof createAuditRepo>;

/**
 * The audit trail is global (admins read all of it), so there is no owner to scope by. Rows are
 * only ever inserted; the one change after that is the database setting actor_id to null when the
 * user is deleted.
 */
export function createAuditRepo({ db }: { db: Kysely<Database> }) {
  return {
    async insert(input: NewAuditLog, executor: Executor = db): Promise<AuditLogRecord> {
      const record: AuditLogRecord = {
        ...input,
        id: newId(),
        actorLabel: fit(input.actorLabel, WIDTHS.actor_label),
        action: fit(input.action, WIDTHS.action),
        resourceType: fit(input.resourceType, WIDTHS.resource_type),
        resourceId: fit(input.resourceId, WIDTHS.resource_id),
        ip: fit(input.ip, WIDTHS.ip),
        userAgent: fit(input.userAgent, WIDTHS.user_agent),
        requestId: fit(input.requestId, WIDTHS.request_id),
        createdAt: new Date(),
      };
      await executor
        .insertInto("audit_logs")
        .values({
          id: record.id,
          actor_id: record.actorId,
          actor_label: record.actorLabel,
          action: record.action,
          resource_type: record.resourceType,
          resource_id: record.resourceId,
          details: record.details === null ? null : JSON.stringify(record.details),
          ip: record.ip,
          user_agent: record.userAgent,
          request_id: record.requestId,
          created_at: record.createdAt,
        })
        .execute();
      return record;
    },

    /**
     * Newest first: created_at desc, then id desc (UUIDv7, so also time order) to break ties, which
     * makes the order total and the keyset cursor exact. One row past the limit is read to know
     * whether there is a next page.
     */
    async list(
      filter: AuditLogFilter,
      page: AuditLogPageRequest,
      executor: Executor = db,
    ): Promise<AuditLogRows> {
      let query = executor.selectFrom("audit_logs").selectAll();
      if (filter.actorId !== undefined) query = query.where("actor_id", "=", filter.actorId);
      if (filter.action !== undefined) {
        if ("exact" in filter.action) {
          query = query.where("action", "=", filter.action.exact);
        } else {
          const prefix = filter.action.prefix;
          // LIKE lets an index narrow the scan; the substr comparison makes the match exact and
          // case-sensitive, which LIKE is not on SQLite. `!` escapes LIKE's wildcards the same way
          // in all three dialects (a backslash does not: PostgreSQL and MySQL read '\\' differently).
          const pattern = `${prefix.replace(/[!%_]/g, "!$&")}%`;
          query = query
            .where(sql<boolean>`${sql.ref("action")} like ${pattern} escape '!'`)
            .where(sql<boolean>`substr(${sql.ref("action")}, 1, ${sql.lit(prefix.length)}) = ${prefix}`);
        }
      }
      if (filter.resourceType !== undefined) query = query.where("resource_type", "=", filter.resourceType);
      if (filter.resourceId !== undefined) query = query.where("resource_id", "=", filter.resourceId);
      // Date parameters work in every dialect: SQLite's values plugin writes them as the same ISO
      // text the column holds, which compares in time order.
      if (filter.from !== undefined) query = query.where("created_at", ">=", filter.from);
      if (filter.to !== undefined) query = query.where("created_at", "<", filter.to);
      const after = page.after;
      if (after !== undefined) {
        query = query.where((eb) =>
          eb.or([
            eb("created_at", "<", after.createdAt),
            eb.and([eb("created_at", "=", after.createdAt), eb("id", "<", after.id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(page.limit + 1)
        .execute();

      const items = rows.slice(0, page.limit).map(toRecord);
      const last = items.at(-1);
      const next =
        rows.length > page.limit && last !== undefined ? { createdAt: last.createdAt, id: last.id } : null;
      return { items, next };
    },
  };
}

function toRecord(row: Selectable<AuditLogsTable>): AuditLogRecord {
  return {
    id: row.id,
    actorId: row.actor_id,
    actorLabel: row.actor_label,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    details: parseDetails(row.details),
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    createdAt: toDate(row.created_at),
  };
}

/** A hand-edited row must not break the admin's list; anything but a JSON object reads as null. */
function parseDetails(value: unknown): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = parseJson(value);
  } catch {
    return null;
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : null;
}

/** The value cut to `width` characters, without splitting a surrogate pair. */
function fit<T extends string | null>(value: T, width: number): T {
  if (value === null || value.length <= width) return value;
  let end = width;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return value.slice(0, end) as T;
}
