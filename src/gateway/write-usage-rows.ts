import type { Insertable, Kysely } from "kysely";
import type { Database, UsageRecordsTable } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { CompileUsageInsert } from "./usage-insert.js";

export type UsageRow = Insertable<UsageRecordsTable>;

interface Owners {
  users: ReadonlySet<string>;
  apiKeys: ReadonlySet<string>;
  connections: ReadonlySet<string>;
}

/** Row ids by what became of them, for a batch the database refused whole. */
interface Outcome {
  written: Set<string>;
  /** Their API key or connection was deleted: written (if at all) with that reference null. */
  detached: Set<string>;
  /** Their user was deleted: not written, as the cascade would have removed them anyway. */
  ofDeletedUsers: Set<string>;
  lastError: unknown;
}

/** Past this many rows refused one after another, the rest of the batch is not tried. */
const MAX_REJECTED_IN_A_ROW = 3;

/** Writes rows in one statement; rejects with the database's error. */
type Insert = (rows: readonly UsageRow[]) => Promise<unknown>;

async function existingIds(
  db: Kysely<Database>,
  table: "users" | "api_keys" | "llm_providers",
  referenced: readonly (string | null | undefined)[],
): Promise<Set<string>> {
  const ids = [...new Set(referenced.filter((id): id is string => typeof id === "string"))];
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom(table).select("id").where("id", "in", ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** Which users, keys and connections the rows point at still exist; throws if the database does not answer. */
async function lookUpOwners(db: Kysely<Database>, rows: readonly UsageRow[]): Promise<Owners> {
  const userIds = rows.map((r) => r.user_id);
  const keyIds = rows.map((r) => r.api_key_id);
  const connectionIds = rows.map((r) => r.connection_id);
  const [users, apiKeys, connections] = await Promise.all([
    existingIds(db, "users", userIds),
    existingIds(db, "api_keys", keyIds),
    existingIds(db, "llm_providers", connectionIds),
  ]);
  return { users, apiKeys, connections };
}

/**
 * The rows as they would be had they been written a moment before the deletions: ON DELETE SET
 * NULL for the key and the connection, ON DELETE CASCADE for the user. Everything else is kept.
 */
function applyDeletions(rows: readonly UsageRow[], owners: Owners, outcome: Outcome): UsageRow[] {
  const kept: UsageRow[] = [];
  for (const row of rows) {
    if (!owners.users.has(row.user_id)) {
      outcome.ofDeletedUsers.add(row.id);
      continue;
    }
    const keyGone = row.api_key_id != null && !owners.apiKeys.has(row.api_key_id);
    const connectionGone = row.connection_id != null && !owners.connections.has(row.connection_id);
    if (!keyGone && !connectionGone) {
      kept.push(row);
      continue;
    }
    outcome.detached.add(row.id);
    kept.push({
      ...row,
      api_key_id: keyGone ? null : row.api_key_id,
      connection_id: connectionGone ? null : row.connection_id,
    });
  }
  return kept;
}

/**
 * Writes a batch of usage rows in one statement. Should the database refuse it, the batch is not
 * dropped: one row whose key, connection or user was deleted since its call would otherwise cost
 * every other user's usage in the batch. The likely cause is repaired in one go (a lookup of the
 * owners, then the batch again); if that still fails, rows are written one at a time so that only
 * rows the database itself rejects are lost. Every attempt is its own statement (PostgreSQL aborts
 * the whole statement, and no transaction spans the attempts). Nothing is retried in a loop: a row
 * is tried at most twice, and a database that stops answering, or refuses several rows in a row,
 * ends the attempt. Never throws.
 */
export async function writeUsageRows(
  deps: {
    db: Kysely<Database>;
    logger: Pick<Logger, "info" | "warn">;
    /** The statement for a batch (see usage-insert.ts). */
    compileInsert: CompileUsageInsert;
  },
  rows: readonly UsageRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const insert: Insert = (batch) => deps.db.executeQuery(deps.compileInsert(batch));
  try {
    await insert(rows);
    return;
  } catch (error) {
    const outcome: Outcome = {
      written: new Set(),
      detached: new Set(),
      ofDeletedUsers: new Set(),
      lastError: error,
    };
    await writeDespiteRefusal(deps.db, insert, rows, outcome);
    report(deps.logger, rows.length, outcome);
  }
}

async function writeDespiteRefusal(
  db: Kysely<Database>,
  insert: Insert,
  rows: readonly UsageRow[],
  outcome: Outcome,
) {
  let owners: Owners;
  try {
    owners = await lookUpOwners(db, rows);
  } catch {
    // The database is failing, not the rows; the batch's own error is the one worth logging.
    return;
  }
  const repaired = applyDeletions(rows, owners, outcome);
  if (repaired.length === 0) return;
  if (outcome.detached.size > 0 || outcome.ofDeletedUsers.size > 0) {
    try {
      await insert(repaired);
      for (const row of repaired) outcome.written.add(row.id);
      return;
    } catch (error) {
      // Another deletion since the lookup, or a row the database rejects for its own reasons.
      outcome.lastError = error;
    }
  }
  let rejectedInARow = 0;
  for (const row of repaired) {
    const result = await writeOne(db, insert, row, outcome);
    if (result === "database failing") return;
    rejectedInARow = result === "rejected" ? rejectedInARow + 1 : 0;
    // Several rows refused in a row, even alone: the database is refusing writes (read only, disk
    // full), not these rows, and trying the rest would cost it several statements a row for nothing.
    if (rejectedInARow >= MAX_REJECTED_IN_A_ROW) return;
  }
}

/** One row, with the same repair as the batch should its owners have gone in the meantime. */
async function writeOne(
  db: Kysely<Database>,
  insert: Insert,
  row: UsageRow,
  outcome: Outcome,
): Promise<"written" | "of a deleted user" | "rejected" | "database failing"> {
  try {
    await insert([row]);
    outcome.written.add(row.id);
    return "written";
  } catch (error) {
    outcome.lastError = error;
  }
  let owners: Owners;
  try {
    owners = await lookUpOwners(db, [row]);
  } catch (error) {
    outcome.lastError = error;
    return "database failing";
  }
  const [repaired] = applyDeletions([row], owners, outcome);
  if (!repaired) return "of a deleted user";
  // Nothing to repair: the database rejects the row itself, and the same insert would fail again.
  if (repaired.api_key_id === row.api_key_id && repaired.connection_id === row.connection_id) {
    return "rejected";
  }
  try {
    await insert([repaired]);
    outcome.written.add(row.id);
    return "written";
  } catch (error) {
    outcome.lastError = error;
    return "rejected";
  }
}

/** Counts only: a log line needs none of a row's values. */
function report(logger: Pick<Logger, "info" | "warn">, rows: number, outcome: Outcome) {
  const { written } = outcome;
  const counts = {
    rows,
    written: written.size,
    detached: [...outcome.detached].filter((id) => written.has(id)).length,
    of_deleted_users: outcome.ofDeletedUsers.size,
    lost: rows - written.size - outcome.ofDeletedUsers.size,
  };
  if (counts.lost > 0) logger.warn({ err: outcome.lastError, ...counts }, "could not write usage records");
  else logger.info(counts, "usage batch written on a second attempt");
}
