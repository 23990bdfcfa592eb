import { isStorableInstant } from "../date-time-format.js";

/**
 * The audit list's page cursor: the sort key of the last row a page showed. To the caller it is an
 * opaque base64url string; inside it is `{"created_at": ISO-8601, "id": uuid}`.
 */
export interface AuditPosition {
  createdAt: Date;
  id: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Far longer than any cursor this module writes; a longer one is not worth decoding. */
const MAX_CURSOR_LENGTH = 256;
const MAX_ID_LENGTH = 36;

export function encodeAuditCursor(position: AuditPosition): string {
  const json = JSON.stringify({ created_at: position.createdAt.toISOString(), id: position.id });
  return Buffer.from(json, "utf8").toString("base64url");
}

/** The position a cursor names, or undefined when it is not one this module wrote. */
export function decodeAuditCursor(cursor: string): AuditPosition | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { created_at: createdAt, id } = parsed as Record<string, unknown>;
  if (typeof createdAt !== "string" || typeof id !== "string") return undefined;
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return undefined;
  const date = new Date(createdAt);
  // A date no dialect compares alike (year 10000) is no position a page could have ended at.
  if (!isStorableInstant(date.getTime()) || date.toISOString() !== createdAt) return undefined;
  return { createdAt: date, id };
}
