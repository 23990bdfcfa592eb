import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.js";

/**
 * Resolves when the database answers a trivial query within the timeout. A pool whose server is gone
 * may otherwise wait for its own connect timeout, too long for a readiness probe.
 */
export async function pingDatabase(db: Kysely<Database>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
