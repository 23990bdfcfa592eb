import {
  connectionAad,
  decryptSecret,
  encryptSecret,
  SecretDecryptionError,
  type SecretDecryptionFailure,
} from "./envelope.js";
import type { Keyring } from "./keyring.js";

/** One stored secret as the rotation sees it. */
export interface StoredSecret {
  id: string;
  ownerKey: string;
  blob: string;
}

/** Where the encrypted secrets live; one implementation per table, none of them known here. */
export interface SecretStore {
  /** How many rows hold a secret that is not under currentKid. */
  countPending(currentKid: string): Promise<number>;
  /** Up to `limit` such rows with id > afterId (all when null), ordered by id. */
  nextBatch(currentKid: string, afterId: string | null, limit: number): Promise<StoredSecret[]>;
  /** Compare-and-set: writes newBlob only if the row still holds oldBlob; true when it did. */
  replace(id: string, oldBlob: string, newBlob: string): Promise<boolean>;
}

export interface RotationFailure {
  id: string;
  reason: SecretDecryptionFailure;
}

export interface RotationProgress {
  /** Rows pending when the rotation started. */
  total: number;
  processed: number;
  rotated: number;
  skipped: number;
  failed: number;
}

export interface RotationResult {
  total: number;
  rotated: number;
  /** Rows that changed between being read and being replaced (their writer already re-encrypted). */
  skipped: number;
  /** Rows that could not be decrypted; they keep their old blob. Ids only, never a secret. */
  failed: RotationFailure[];
}

export interface RotateSecretsOptions {
  keyring: Keyring;
  store: SecretStore;
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (progress: RotationProgress) => void;
  /** The additional authenticated data a row's secret was bound to; connection rows by default. */
  aad?: (row: StoredSecret) => string;
}

/**
 * Re-encrypts every stored secret not under the keyring's current key, online: each row is
 * decrypted with whichever key it names, encrypted under the current one and written back only if
 * nobody changed it meanwhile. Each row is always either its old or its new blob, both readable
 * with this keyring, so a crash part-way loses nothing and running it again finishes the job.
 *
 * Rows that cannot be decrypted (unknown key, failed authentication, malformed) are reported by id
 * and left as they are; the rotation goes on. Errors from the store itself propagate.
 */
export async function rotateSecrets(options: RotateSecretsOptions): Promise<RotationResult> {
  const { keyring, store, onProgress } = options;
  const batchSize = options.batchSize ?? 100;
  const aadOf = options.aad ?? ((row: StoredSecret) => connectionAad(row.id, row.ownerKey));
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }

  const currentKid = keyring.currentKid;
  const total = await store.countPending(currentKid);
  const failed: RotationFailure[] = [];
  let rotated = 0;
  let skipped = 0;
  let processed = 0;
  let afterId: string | null = null;

  for (;;) {
    const batch = await store.nextBatch(currentKid, afterId, batchSize);
    if (batch.length === 0) break;
    for (const row of batch) {
      const aad = aadOf(row);
      let plaintext: string;
      try {
        plaintext = decryptSecret(keyring, row.blob, aad);
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        failed.push({ id: row.id, reason: error.reason });
        continue;
      }
      const replaced = await store.replace(row.id, row.blob, encryptSecret(keyring, plaintext, aad));
      if (replaced) rotated += 1;
      else skipped += 1;
    }
    processed += batch.length;
    afterId = batch[batch.length - 1]!.id;
    onProgress?.({ total, processed, rotated, skipped, failed: failed.length });
    // A short batch is the last one; no need to ask again.
    if (batch.length < batchSize) break;
  }

  return { total, rotated, skipped, failed };
}
