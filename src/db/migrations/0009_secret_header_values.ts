import { type Kysely, sql } from "kysely";
import { addColumnIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

/**
 * The values of a connection's credential-like custom headers (X-Auth-Token and the like), encrypted
 * as the API key is, one envelope for all of them; config.headers keeps their names with a
 * placeholder. Rows stored before this keep their plain values until the application, which holds
 * the master key, moves them here (a migration has no key to encrypt with).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await addColumnIfMissing(db, "llm_providers", "secret_headers_encrypted", sql`text`);
}

/**
 * The values cannot be put back into config (no key to decrypt them): their headers keep the
 * placeholder, which the upstream refuses, until someone enters the value again.
 */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("llm_providers").dropColumn("secret_headers_encrypted").execute();
}
