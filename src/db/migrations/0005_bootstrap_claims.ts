import { type Kysely, sql } from "kysely";
import { dialectOf } from "../dialect-of.js";
import { columnTypes } from "./column-types.js";
import { createIndexIfMissing, createTableIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

/**
 * One row per thing only one registration may do, such as becoming the first admin. Its primary key
 * makes concurrent claimants conflict in every dialect, so the database settles the race; the row
 * goes with its user, so an emptied database has a first user to claim again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const dialect = dialectOf(db);
  const t = columnTypes(dialect);
  await createTableIfMissing(db, dialect, "bootstrap_claims")
    .addColumn("claim", sql`varchar(64)`, (c) => c.notNull().primaryKey())
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("bootstrap_claims_user_id_idx").on("bootstrap_claims").column("user_id"),
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("bootstrap_claims").execute();
}
