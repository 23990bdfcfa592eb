import { type Kysely, sql } from "kysely";
import { dialectOf } from "../dialect-of.js";
import { columnTypes } from "./column-types.js";
import { createIndexIfMissing, createTableIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

/**
 * One row per login (a family of rotated refresh tokens). Revoking a login marks this row, so a
 * token that a concurrent rotation inserts into the family after the revocation is dead as well;
 * marking only the token rows missed those.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const dialect = dialectOf(db);
  const t = columnTypes(dialect);
  await createTableIfMissing(db, dialect, "session_families")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("revoked_at", t.timestamp)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("session_families_user_id_idx").on("session_families").column("user_id"),
  );
  // Token rows were only ever revoked a whole family (or user) at a time, so one revoked row means
  // its family was revoked. A family already there was copied by an earlier, interrupted run.
  await sql`
    insert into session_families (id, user_id, revoked_at, created_at)
    select family_id, user_id, max(revoked_at), min(created_at) from sessions
    where not exists (select 1 from session_families f where f.id = sessions.family_id)
    group by family_id, user_id
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("session_families").execute();
}
