import { type Kysely, sql } from "kysely";
import { dialectOf } from "../dialect-of.js";
import { columnTypes } from "./column-types.js";
import { addColumnIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

/**
 * Membership by invitation: a membership another user adds starts out pending (accepted_at null)
 * and grants nothing until its user accepts it, so no one can put a user into an org, and the org's
 * connections into that user's resolution, without their consent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(dialectOf(db));
  await addColumnIfMissing(db, "memberships", "accepted_at", t.timestamp);
  // Memberships from before invitations were in force when this shipped: they stay active. Safe to
  // run again: no instance serves while this step is pending, so no invitation is pending yet.
  await sql`update memberships set accepted_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Pending invitations were never memberships; kept, they would become active ones.
  await sql`delete from memberships where accepted_at is null`.execute(db);
  await db.schema.alterTable("memberships").dropColumn("accepted_at").execute();
}
