import { Value } from "typebox/value";
import "../date-time-format.js";
import type { Logger } from "../../logger.js";
import { type Actor, actorUserId, isAdmin, type RequestMeta } from "../actor.js";
import { AppError, type FieldIssue } from "../errors.js";
import { decodeAuditCursor, encodeAuditCursor } from "./audit.cursor.js";
import type { AuditLogFilter, AuditLogRecord, AuditRepo, NewAuditLog } from "./audit.repo.js";
import {
  AuditLogQuery,
  type AuditLogPage,
  type AuditLogView,
  DEFAULT_AUDIT_PAGE_SIZE,
} from "./audit.schemas.js";
import type { AuditEvent, AuditRecorder } from "./audit.types.js";
import { redactSecrets, redactString } from "./redact.js";

export interface AuditServiceDeps {
  repo: Pick<AuditRepo, "insert" | "list">;
  logger: Pick<Logger, "error">;
}

export type AuditService = ReturnType<typeof createAuditService>;

export function createAuditService({ repo, logger }: AuditServiceDeps) {
  /**
   * Writes one row and never throws: the mutation being audited has already happened, and failing
   * the caller now would report a success as a 500. A failed write is logged instead (without the
   * details, which are the caller's words).
   */
  async function write(build: () => NewAuditLog, event: AuditEvent): Promise<void> {
    try {
      const row = build();
      try {
        await repo.insert(row);
      } catch (error) {
        // The actor may be gone (a user who just deleted their own account), which fails the
        // foreign key; the label still names them, so the row is kept without the link.
        if (row.actorId === null) throw error;
        await repo.insert({ ...row, actorId: null });
      }
    } catch (error) {
      logger.error(
        { err: error, action: event.action, resource_type: event.resourceType },
        "could not write the audit log entry",
      );
    }
  }

  async function record(actor: Actor, event: AuditEvent): Promise<void> {
    await write(
      () => ({
        ...fromEvent(event),
        ...fromMeta(actor.meta),
        actorId: actorUserId(actor),
        actorLabel: actorLabel(actor),
      }),
      event,
    );
  }

  async function recordAnonymous(
    event: AuditEvent & { actorLabel?: string | null; meta?: RequestMeta },
  ): Promise<void> {
    await write(
      () => ({
        ...fromEvent(event),
        ...fromMeta(event.meta),
        actorId: null,
        // Whatever an anonymous caller typed (say, into the email field) is checked for secrets too.
        actorLabel: event.actorLabel == null ? null : redactString(event.actorLabel),
      }),
      event,
    );
  }

  /** Admins only. Newest first, a page at a time; pass a page's next_cursor back for the next. */
  async function list(actor: Actor, query: AuditLogQuery = {}): Promise<AuditLogPage> {
    if (!isAdmin(actor)) throw new AppError("forbidden", "Only an admin may read the audit log");
    const issues = queryIssues(query);
    if (issues.length > 0) {
      throw new AppError(
        "validation_failed",
        `Invalid audit log query: ${issues[0]!.field} ${issues[0]!.message}`,
        {
          issues,
        },
      );
    }
    const after = query.cursor === undefined ? undefined : decodeAuditCursor(query.cursor);
    if (query.cursor !== undefined && after === undefined) {
      throw new AppError("validation_failed", "The cursor is not one this API returned", {
        issues: [{ field: "/cursor", message: "is not a cursor from a previous page" }],
      });
    }
    const page = await repo.list(toFilter(query), {
      limit: query.limit ?? DEFAULT_AUDIT_PAGE_SIZE,
      ...(after === undefined ? {} : { after }),
    });
    return {
      items: page.items.map(toView),
      next_cursor: page.next === null ? null : encodeAuditCursor(page.next),
    };
  }

  const recorder: AuditRecorder = { record, recordAnonymous };
  return { ...recorder, list };
}

/**
 * Who acted, in words that stay readable after the user is deleted (actor_id goes null then). A
 * service key's row names the key and its owner as well as the user it acted for.
 */
function actorLabel(actor: Actor): string {
  if (actor.kind === "system") return `system:${actor.label}`;
  if (actor.onBehalfOf === undefined) return actor.userId;
  return `${actor.userId} via service key ${actor.apiKeyId ?? "unknown"} for ${actor.onBehalfOf.ownerId}`;
}

function fromEvent(
  event: AuditEvent,
): Pick<NewAuditLog, "action" | "resourceType" | "resourceId" | "details"> {
  return {
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId ?? null,
    details: event.details === undefined ? null : redactSecrets(event.details),
  };
}

function fromMeta(meta: RequestMeta | undefined): Pick<NewAuditLog, "ip" | "userAgent" | "requestId"> {
  return { ip: meta?.ip ?? null, userAgent: meta?.userAgent ?? null, requestId: meta?.requestId ?? null };
}

/**
 * The HTTP route has validated the query already; a library caller has not, so the service checks
 * it against the same schema and answers the same 422.
 */
function queryIssues(query: AuditLogQuery): FieldIssue[] {
  const seen = new Set<string>();
  const issues: FieldIssue[] = [];
  for (const error of Value.Errors(AuditLogQuery, query)) {
    // additionalProperties reports once with the names in params and once per name as `false`.
    if (error.keyword === "boolean") continue;
    const extra =
      error.keyword === "additionalProperties" && "additionalProperties" in error.params
        ? (error.params.additionalProperties as readonly string[])
        : undefined;
    const fields = extra ? extra.map((name) => `/${name}`) : [error.instancePath || "/"];
    const message = extra ? "is not a known filter" : error.message;
    for (const field of fields) {
      const id = `${field}\u0000${message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      issues.push({ field, message });
    }
  }
  return issues;
}

function toFilter(query: AuditLogQuery): AuditLogFilter {
  const filter: AuditLogFilter = {};
  if (query.actor_id !== undefined) filter.actorId = query.actor_id;
  if (query.action !== undefined) {
    filter.action = query.action.endsWith(".*")
      ? { prefix: query.action.slice(0, -1) }
      : { exact: query.action };
  }
  if (query.resource_type !== undefined) filter.resourceType = query.resource_type;
  if (query.resource_id !== undefined) filter.resourceId = query.resource_id;
  if (query.from !== undefined) filter.from = new Date(query.from);
  if (query.to !== undefined) filter.to = new Date(query.to);
  return filter;
}

function toView(record: AuditLogRecord): AuditLogView {
  return {
    id: record.id,
    actor_id: record.actorId,
    actor_label: record.actorLabel,
    action: record.action,
    resource_type: record.resourceType,
    resource_id: record.resourceId,
    details: record.details,
    ip: record.ip,
    user_agent: record.userAgent,
    request_id: record.requestId,
    created_at: record.createdAt.toISOString(),
  };
}
