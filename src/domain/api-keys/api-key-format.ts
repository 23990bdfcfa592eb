import { generateOpaqueToken } from "../../secrets/opaque-token.js";

/** `sy-` + 43 base64url characters (32 random bytes). */
export const API_KEY_PREFIX = "sy-";
const SHOWN_CHARS = 8;

export function generateApiKey(): { key: string; prefix: string } {
  const key = generateOpaqueToken(API_KEY_PREFIX);
  // Enough to tell keys apart in a list; far too little to guess the rest from.
  return { key, prefix: key.slice(0, API_KEY_PREFIX.length + SHOWN_CHARS) };
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** Lets a key act for any user named in X-Switchyard-User; only admins may hold such a key. */
export const ACT_AS_USER_SCOPE = "act_as_user";
export const API_KEY_SCOPES = [ACT_AS_USER_SCOPE] as const;
