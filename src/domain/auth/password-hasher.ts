import { hash, verify } from "@node-rs/argon2";

// The library exports its algorithm ids as a const enum, which isolated modules cannot import.
const ARGON2ID = 2;

/**
 * argon2id with the library's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommended minimum).
 * verifyNothing() spends the same time as a real verify, so a login for an unknown email takes as
 * long as one with a wrong password and the response time does not tell which emails exist.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  verifyNothing(password: string): Promise<void>;
}

export function createPasswordHasher(): PasswordHasher {
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, { algorithm: ARGON2ID }),
    verify: async (stored, password) => {
      try {
        return await verify(stored, password);
      } catch {
        // A malformed stored hash is a failed login, not a 500.
        return false;
      }
    },
    verifyNothing: async (password) => {
      dummy ??= hash("switchyard-timing-equalizer", { algorithm: ARGON2ID });
      await verify(await dummy, password).catch(() => false);
    },
  };
}
