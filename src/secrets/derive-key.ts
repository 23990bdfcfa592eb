import { hkdfSync } from "node:crypto";

/**
 * A key for one purpose, derived from the master key, so that signing tokens and encrypting
 * connection keys never share key material and rotating the master key rotates both.
 */
export type KeyPurpose = "access-token-signing" | "connection-key-encryption";

export function deriveKey(masterKey: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), `switchyard:${purpose}:v1`, 32));
}
