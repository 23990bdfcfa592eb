import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.js";
import { SecretDecryptionError, type SecretDecryptionFailure } from "../../secrets/envelope.js";
import type { ConnectionsRepo } from "./connections.repo.js";
import type { ConnectionSecrets } from "./connections.service.js";
import {
  hasPlainSecretHeaderValues,
  joinSecretHeaderValues,
  splitSecretHeaderValues,
} from "./secret-header-values.js";

export interface SealResult {
  /** Connections whose credential-like header values left the config JSON. */
  sealed: number;
  /** Connections left as they were: their encrypted values could not be read to merge with. Ids only. */
  failed: { id: string; reason: SecretDecryptionFailure }[];
}

export interface SealDeps {
  db: Kysely<Database>;
  repo: Pick<ConnectionsRepo, "pageWithConfig" | "lockOwner" | "replaceStoredHeaders">;
  secrets: Pick<ConnectionSecrets, "encryptHeaders" | "decryptHeaders">;
  batchSize?: number;
}

/**
 * Moves credential-like custom header values still stored in plain text (rows from before they were
 * encrypted, or written by an older instance during an upgrade) into secret_headers_encrypted. A
 * migration cannot do it, having no master key, so this runs where the key is: at start-up and in
 * `keys rotate`.
 *
 * Safe to run anywhere, any number of times, at once: each row is rewritten inside a transaction
 * holding its owner's rows locked (the lock every connection write takes, so a concurrent update is
 * either before, and seen, or after), and only while it still holds a plain value; a row already
 * sealed is left alone. Reading never depends on it having run: plain values are used as stored.
 */
export async function sealPlainHeaderValues(deps: SealDeps): Promise<SealResult> {
  const batchSize = deps.batchSize ?? 100;
  const result: SealResult = { sealed: 0, failed: [] };

  const sealOne = (id: string, ownerKey: string) =>
    deps.db.transaction().execute(async (trx) => {
      const c = (await deps.repo.lockOwner(ownerKey, trx)).find((row) => row.id === id);
      const headers = c?.config?.headers;
      if (!c?.config || !headers || !hasPlainSecretHeaderValues(headers)) return false;
      const known =
        c.secretHeadersEncrypted === null
          ? undefined
          : deps.secrets.decryptHeaders(c.secretHeadersEncrypted, c.id, c.ownerKey);
      const { stored, secret } = splitSecretHeaderValues(joinSecretHeaderValues(headers, known));
      await deps.repo.replaceStoredHeaders(
        c.id,
        c.ownerKey,
        {
          config: { ...c.config, headers: stored },
          secretHeadersEncrypted: secret ? deps.secrets.encryptHeaders(secret, c.id, c.ownerKey) : null,
        },
        trx,
      );
      return true;
    });

  let afterId: string | null = null;
  for (;;) {
    const page = await deps.repo.pageWithConfig(afterId, batchSize);
    for (const c of page) {
      if (!hasPlainSecretHeaderValues(c.config?.headers)) continue;
      try {
        if (await sealOne(c.id, c.ownerKey)) result.sealed += 1;
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        result.failed.push({ id: c.id, reason: error.reason });
      }
    }
    if (page.length < batchSize) return result;
    afterId = page[page.length - 1]!.id;
  }
}
