import { createHash, timingSafeEqual } from "node:crypto";
import { deriveKey } from "./derive-key.js";

/**
 * The keys that encrypt stored provider API keys: the current one, which every new ciphertext uses,
 * and the previous ones, kept only so rows not yet rotated can still be read. Built from MASTER keys;
 * each gets its data key through deriveKey(master, "connection-key-encryption").
 *
 * A key is named by its `kid`: the first 12 hex characters of sha256(data key). That is a public
 * fingerprint (safe in a ciphertext, a log line or an error); it cannot give the key back.
 *
 * The keyring object holds no key material itself, so logging or serializing it shows only key ids;
 * the data keys live in a module-private map that only the cipher (envelope.ts) reads.
 */
export interface Keyring {
  /** The key id new ciphertexts are written under. */
  readonly currentKid: string;
  /** Every key id the keyring can decrypt, the current one first. */
  readonly kids: readonly string[];
  has(kid: string): boolean;
}

export interface KeyringMasterKeys {
  current: Buffer;
  /** Master keys rotated away from; duplicates (and a copy of the current one) are ignored. */
  previous?: readonly Buffer[];
}

const MASTER_KEY_BYTES = 32;
const KID_HEX_CHARS = 12;

/** What a kid looks like; the envelope parser and the stores' SQL patterns rely on it. */
export const KID_PATTERN = /^[0-9a-f]{12}$/;

const dataKeys = new WeakMap<Keyring, ReadonlyMap<string, Buffer>>();

export function createKeyring(masters: KeyringMasterKeys): Keyring {
  const keys = new Map<string, Buffer>();
  for (const master of [masters.current, ...(masters.previous ?? [])]) {
    if (master.length !== MASTER_KEY_BYTES) {
      // Only the length: a master key is never echoed, not even a malformed one.
      throw new RangeError(`a master key must be ${MASTER_KEY_BYTES} bytes, got ${master.length}`);
    }
    const key = deriveKey(master, "connection-key-encryption");
    const kid = keyIdOf(key);
    const known = keys.get(kid);
    if (known === undefined) {
      keys.set(kid, key);
    } else if (!timingSafeEqual(known, key)) {
      // Two different keys with one 48-bit fingerprint: never expected, but silently dropping one
      // would make its rows unreadable.
      throw new Error(`two master keys share the key id ${kid}; generate a new master key`);
    }
  }

  const kids = Object.freeze([...keys.keys()]);
  const keyring: Keyring = Object.freeze({
    currentKid: kids[0]!,
    kids,
    has: (kid: string) => keys.has(kid),
  });
  dataKeys.set(keyring, keys);
  return keyring;
}

/** The public fingerprint of a data key. */
function keyIdOf(dataKey: Buffer): string {
  return createHash("sha256").update(dataKey).digest("hex").slice(0, KID_HEX_CHARS);
}

/**
 * The data key for a kid, or undefined when the keyring does not hold it.
 * @internal For the cipher in envelope.ts only; nothing else should handle raw keys.
 */
export function dataKeyFor(keyring: Keyring, kid: string): Buffer | undefined {
  return dataKeys.get(keyring)?.get(kid);
}
