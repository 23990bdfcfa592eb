import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { dataKeyFor, KID_PATTERN, type Keyring } from "./keyring.js";

/**
 * Stored secrets as versioned envelopes: `v1:<kid>:<nonce>:<ciphertext+tag>`, both binary parts in
 * base64url. AES-256-GCM with a random 96-bit nonce, and additional authenticated data that names
 * the row the secret belongs to, so a ciphertext copied to another row does not decrypt there.
 */

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export type SecretDecryptionFailure = "malformed" | "unknown_key" | "authentication_failed";

/**
 * A stored secret that cannot be read. The message names only the reason and, when known, the key
 * id (a public fingerprint): never the plaintext, the key or the ciphertext.
 */
export class SecretDecryptionError extends Error {
  constructor(
    readonly reason: SecretDecryptionFailure,
    message: string,
  ) {
    super(message);
    this.name = "SecretDecryptionError";
  }
}

/**
 * The additional authenticated data for a connection's API key: its table, id and owner. Moving the
 * ciphertext to another row, or the row to another owner, makes it fail authentication.
 */
export function connectionAad(id: string, ownerKey: string): string {
  // The id is a UUID; a colon in it would make two different (id, owner) pairs read the same.
  if (id.includes(":")) throw new TypeError("connectionAad: a connection id cannot contain ':'");
  return `llm_providers:${id}:${ownerKey}`;
}

/**
 * The additional authenticated data for a connection's secret custom-header values: the row as for
 * its key, under another name, so neither ciphertext decrypts in the other's column.
 */
export function connectionHeadersAad(id: string, ownerKey: string): string {
  if (id.includes(":")) throw new TypeError("connectionHeadersAad: a connection id cannot contain ':'");
  return `llm_providers.secret_headers:${id}:${ownerKey}`;
}

export function encryptSecret(keyring: Keyring, plaintext: string, aad: string): string {
  const kid = keyring.currentKid;
  const key = dataKeyFor(keyring, kid);
  if (!key) throw new Error(`the keyring does not hold its current key ${kid}`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, kid, nonce.toString("base64url"), sealed.toString("base64url")].join(":");
}

export function decryptSecret(keyring: Keyring, blob: string, aad: string): string {
  const envelope = parseEnvelope(blob);
  if (!envelope) {
    throw new SecretDecryptionError("malformed", "the stored secret is not a v1 encrypted envelope");
  }
  const key = dataKeyFor(keyring, envelope.kid);
  if (!key) {
    throw new SecretDecryptionError(
      "unknown_key",
      `the stored secret is encrypted under key ${envelope.kid}, which the keyring does not hold`,
    );
  }
  const { nonce, sealed } = envelope;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return plaintext.toString("utf8");
  } catch {
    // Deliberately no cause: nothing from the cipher travels with the error.
    throw new SecretDecryptionError(
      "authentication_failed",
      `the stored secret under key ${envelope.kid} failed authentication (tampered, or copied from another row)`,
    );
  }
}

/** The key id a blob is encrypted under, or undefined when the blob is not a well-formed envelope. */
export function kidOf(blob: string): string | undefined {
  return parseEnvelope(blob)?.kid;
}

interface Envelope {
  kid: string;
  nonce: Buffer;
  sealed: Buffer;
}

function parseEnvelope(blob: string): Envelope | undefined {
  const parts = blob.split(":");
  if (parts.length !== 4) return undefined;
  const [version, kid, nonceText, sealedText] = parts as [string, string, string, string];
  if (version !== VERSION || !KID_PATTERN.test(kid)) return undefined;
  const nonce = decodeBase64Url(nonceText);
  const sealed = decodeBase64Url(sealedText);
  if (nonce?.length !== NONCE_BYTES || !sealed || sealed.length < TAG_BYTES) return undefined;
  return { kid, nonce, sealed };
}

/** Strict base64url: only its alphabet, no padding, and the one canonical spelling of the bytes. */
function decodeBase64Url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}
