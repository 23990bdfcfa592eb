import { isSecretHeaderName } from "../../providers/request-headers.js";
import { HIDDEN_HEADER_VALUE } from "./hidden-header-values.js";

/**
 * How a connection's custom headers are stored: a credential-like one (isSecretHeaderName) keeps its
 * name in config.headers with HIDDEN_HEADER_VALUE as its value, and the value goes into
 * secret_headers_encrypted, encrypted as the API key is. The config JSON is read by views, audits,
 * backups and anyone with the database; the key material is not. Rows written before this hold
 * plain values, which are used as they are until they are sealed (seal-plain-header-values.ts).
 */

export interface SplitHeaders {
  /** What config.headers stores: every name, the secret ones with the placeholder. */
  stored: Record<string, string>;
  /** The values to encrypt, by name; undefined when no header is credential-like. */
  secret: Record<string, string> | undefined;
}

export function splitSecretHeaderValues(headers: Readonly<Record<string, string>>): SplitHeaders {
  const stored: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (isSecretHeaderName(name)) {
      stored[name] = HIDDEN_HEADER_VALUE;
      secret[name] = value;
    } else {
      stored[name] = value;
    }
  }
  return { stored, secret: Object.keys(secret).length > 0 ? secret : undefined };
}

/**
 * The headers as they are sent: each placeholder replaced by its decrypted value. A plain value (a
 * row from before, or written by an older instance) is used as stored; so is a placeholder with no
 * value behind it, as an older instance would have sent it.
 */
export function joinSecretHeaderValues(
  stored: Readonly<Record<string, string>>,
  secret: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  // By lower-cased name: names are case-insensitive, and an older instance may have renamed one.
  const secretByName = new Map(
    Object.entries(secret ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return Object.fromEntries(
    Object.entries(stored).map(([name, value]) => [
      name,
      value === HIDDEN_HEADER_VALUE && isSecretHeaderName(name)
        ? (secretByName.get(name.toLowerCase()) ?? value)
        : value,
    ]),
  );
}

/** Whether stored headers still hold a credential-like value in plain text. */
export function hasPlainSecretHeaderValues(stored: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(stored ?? {}).some(
    ([name, value]) => isSecretHeaderName(name) && value !== HIDDEN_HEADER_VALUE,
  );
}
