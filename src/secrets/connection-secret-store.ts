import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";
import { KID_PATTERN } from "./keyring.js";
import type { SecretStore, StoredSecret } from "./rotate.js";

/** The llm_providers columns that hold envelopes: the API key, and the secret custom-header values. */
export type ConnectionSecretColumn = "api_key_encrypted" | "secret_headers_encrypted";

/**
 * The rotation's view of one encrypted column of llm_providers: the rows whose envelope is not yet
 * under the current kid, read in id order, and a compare-and-set write. Rotation changes how a
 * secret is stored, not the connection, so updated_at is left alone.
 */
export function createConnectionSecretStore(
  db: Kysely<Database>,
  column: ConnectionSecretColumn = "api_key_encrypted",
): SecretStore {
  /** Rows with a stored secret not under `currentKid`. */
  const pending = (currentKid: string) =>
    db
      .selectFrom("llm_providers")
      .where(column, "is not", null)
      .where(column, "not like", notUnderPattern(currentKid));

  return {
    async countPending(currentKid) {
      const row = await pending(currentKid)
        .select((eb) => eb.fn.countAll<number | string | bigint>().as("count"))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async nextBatch(currentKid, afterId, limit) {
      let query = pending(currentKid).select(["id", "owner_key", `${column} as blob`]);
      if (afterId !== null) query = query.where("id", ">", afterId);
      const rows = await query.orderBy("id").limit(limit).execute();
      return rows.flatMap((row): StoredSecret[] =>
        row.blob === null ? [] : [{ id: row.id, ownerKey: row.owner_key, blob: row.blob }],
      );
    },

    async replace(id, oldBlob, newBlob) {
      const result = await db
        .updateTable("llm_providers")
        .set({ [column]: newBlob })
        .where("id", "=", id)
        .where(column, "=", oldBlob)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

/**
 * Whether any connection has a secret stored encrypted (its key, or credential-like header values),
 * under whichever master key. A database not yet migrated has no llm_providers table, and so none;
 * one migrated before header values were encrypted has no column for them.
 */
export async function holdsEncryptedConnectionSecrets(db: Kysely<Database>): Promise<boolean> {
  const table = (await db.introspection.getTables()).find((t) => t.name === "llm_providers");
  if (table === undefined) return false;
  const headerColumn = table.columns.some((column) => column.name === "secret_headers_encrypted");
  const row = await db
    .selectFrom("llm_providers")
    .select("id")
    .where((eb) =>
      headerColumn
        ? eb.or([eb("api_key_encrypted", "is not", null), eb("secret_headers_encrypted", "is not", null)])
        : eb("api_key_encrypted", "is not", null),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * `v1:<kid>:%`. A kid is lowercase hex, so it holds no LIKE wildcard to escape. (SQLite's LIKE
 * ignores ASCII case, which matters only for blobs this code never writes.)
 */
function notUnderPattern(currentKid: string): string {
  if (!KID_PATTERN.test(currentKid)) throw new TypeError("not a key id");
  return `v1:${currentKid}:%`;
}

/** Stored connection secrets under one key id the keyring lacks. */
export interface SecretsUnderUnknownKey {
  kid: string;
  count: number;
}

/**
 * The connection secrets (keys, and header values) encrypted under a key id outside `kids`, per key
 * id: those connections cannot be called until the key is back (SWITCHYARD_MASTER_KEY or
 * SWITCHYARD_PREVIOUS_MASTER_KEYS). A key id is a public hash prefix, safe to log. One pass over
 * llm_providers, a small table, at start-up only.
 */
export async function secretsUnderUnknownKeys(
  db: Kysely<Database>,
  kids: readonly string[],
): Promise<SecretsUnderUnknownKey[]> {
  const counts = new Map<string, number>();
  for (const column of ["api_key_encrypted", "secret_headers_encrypted"] as const) {
    let query = db.selectFrom("llm_providers").select(column).where(column, "is not", null);
    for (const kid of kids) query = query.where(column, "not like", notUnderPattern(kid));
    for (const row of await query.execute()) {
      // Only a well-formed key id is named: a malformed blob's text is not echoed into the log.
      const found = /^v1:([^:]*):/.exec(row[column] ?? "")?.[1];
      const kid = found !== undefined && KID_PATTERN.test(found) ? found : "(not an envelope)";
      counts.set(kid, (counts.get(kid) ?? 0) + 1);
    }
  }
  return [...counts].map(([kid, count]) => ({ kid, count }));
}
