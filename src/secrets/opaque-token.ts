import { hash, randomBytes } from "node:crypto";

/**
 * Bearer secrets that Switchyard issues (API keys, refresh tokens): 32 random bytes, base64url, behind
 * a prefix that says what they are (so secret scanners and people recognize them). Only the hash is
 * stored. SHA-256 suffices: with 256 bits of entropy there is nothing to brute-force, and the lookup
 * on every request stays cheap.
 */
export function generateOpaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/** One-shot `hash` rather than a Hash object: a quarter of the cost, and every API-key request pays it. */
export function hashOpaqueToken(token: string): string {
  return hash("sha256", token, "hex");
}
