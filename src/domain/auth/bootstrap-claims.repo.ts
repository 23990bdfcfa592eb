import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/errors.js";
import type { Database } from "../../db/schema.js";
import type { Executor } from "../users/users.repo.js";

/** What only one registration may ever do while its row exists. */
export type BootstrapClaim = "first_admin";

/**
 * Claims as rows with a fixed key: of concurrent claimants inside transactions, the database lets one
 * insert and makes the others wait for it, then fail with a unique violation once it commits. A lock
 * would need a different statement per dialect; a conflicting write is the same everywhere.
 */
export function createBootstrapClaimsRepo(db: Kysely<Database>) {
  return {
    /**
     * True when this user now holds the claim. False when another holds it: on PostgreSQL the
     * transaction is then aborted, so the caller must roll it back rather than go on with it.
     */
    async claim(claim: BootstrapClaim, userId: string, executor: Executor = db): Promise<boolean> {
      try {
        await executor
          .insertInto("bootstrap_claims")
          .values({ claim, user_id: userId, created_at: new Date() })
          .execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
  };
}

export type BootstrapClaimsRepo = ReturnType<typeof createBootstrapClaimsRepo>;
