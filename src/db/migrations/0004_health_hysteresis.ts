import { type Kysely, sql } from "kysely";
import { addColumnIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

/** Failed checks in a row, so periodic checks mark a connection failed only after several. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await addColumnIfMissing(db, "llm_providers", "consecutive_failures", sql`integer`, (c) =>
    c.notNull().defaultTo(0),
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("llm_providers").dropColumn("consecutive_failures").execute();
}
