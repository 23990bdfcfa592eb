import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";
import { KID_PATTERN } from "./keyring.js";
import type { SecretStore, StoredSecret } from "./rotate.js";

/**
 * The rotation's view of llm_providers.api_key_encrypted: the rows whose key is not yet under the
 * current kid, read in id order, and a compare-and-set write. Rotation changes how a key is stored,
 * not the connection, so updated_at is left alone.
 */
export function createConnectionSecretStore(db: Kysely<Database>): SecretStore {
  /** Rows with a stored key not under `currentKid`. */
  const pending = (currentKid: string) =>
    db
      .selectFrom("llm_providers")
      .where("api_key_encrypted", "is not", null)
      .where("api_key_encrypted", "not like", notUnderPattern(currentKid));

  return {
    async countPending(currentKid) {
      const row = await pending(currentKid)
        .select((eb) => eb.fn.countAll<number | string | bigint>().as("count"))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async nextBatch(currentKid, afterId, limit) {
      let query = pending(currentKid).select(["id", "owner_key", "api_key_encrypted"]);
      if (afterId !== null) query = query.where("id", ">", afterId);
      const rows = await query.orderBy("id").limit(limit).execute();
      return rows.flatMap((row): StoredSecret[] =>
        row.api_key_encrypted === null
          ? []
          : [{ id: row.id, ownerKey: row.owner_key, blob: row.api_key_encrypted }],
      );
    },

    async replace(id, oldBlob, newBlob) {
      const result = await db
        .updateTable("llm_providers")
        .set({ api_key_encrypted: newBlob })
        .where("id", "=", id)
        .where("api_key_encrypted", "=", oldBlob)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

/**
 * `v1:<kid>:%`. A kid is lowercase hex, so it holds no LIKE wildcard to escape. (SQLite's LIKE
 * ignores ASCII case, which matters only for blobs this code never writes.)
 */
function notUnderPattern(currentKid: string): string {
  if (!KID_PATTERN.test(currentKid)) throw new TypeError("not a key id");
  return `v1:${currentKid}:%`;
}
