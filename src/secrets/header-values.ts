import { connectionHeadersAad, decryptSecret, encryptSecret, SecretDecryptionError } from "./envelope.js";
import type { Keyring } from "./keyring.js";

/**
 * A connection's secret custom-header values (name to value) as one envelope bound to the row, so
 * they are stored, rotated and read back the way its API key is.
 */
export function encryptHeaderValues(
  keyring: Keyring,
  values: Readonly<Record<string, string>>,
  connectionId: string,
  ownerKey: string,
): string {
  return encryptSecret(keyring, JSON.stringify(values), connectionHeadersAad(connectionId, ownerKey));
}

export function decryptHeaderValues(
  keyring: Keyring,
  blob: string,
  connectionId: string,
  ownerKey: string,
): Record<string, string> {
  const plaintext = decryptSecret(keyring, blob, connectionHeadersAad(connectionId, ownerKey));
  let values: unknown;
  try {
    values = JSON.parse(plaintext);
  } catch {
    values = undefined;
  }
  // Authenticated, so only a writer of ours could have put anything else here; still never trusted.
  if (
    typeof values !== "object" ||
    values === null ||
    Array.isArray(values) ||
    !Object.values(values).every((v) => typeof v === "string")
  ) {
    throw new SecretDecryptionError("malformed", "the stored header values are not a JSON object of strings");
  }
  return values as Record<string, string>;
}

/** The pair the connections service and the seal/rotate paths take, bound to one keyring. */
export function headerValueCipher(keyring: Keyring) {
  return {
    encryptHeaders: (values: Readonly<Record<string, string>>, id: string, ownerKey: string) =>
      encryptHeaderValues(keyring, values, id, ownerKey),
    decryptHeaders: (blob: string, id: string, ownerKey: string) =>
      decryptHeaderValues(keyring, blob, id, ownerKey),
  };
}
