import type { Kysely } from "kysely";
import { dialectOf } from "../dialect-of.js";
import { columnTypes } from "./column-types.js";
import { addColumnIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

/**
 * When all of a user's sessions were last revoked (the user was disabled). Access tokens are
 * stateless, so one issued before then would work again once the user was enabled; the
 * authenticator refuses a token issued at or before this instant.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(dialectOf(db));
  await addColumnIfMissing(db, "users", "sessions_revoked_at", t.timestamp);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("users").dropColumn("sessions_revoked_at").execute();
}
