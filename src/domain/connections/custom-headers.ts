import { validateHeaderName, validateHeaderValue } from "node:http";
import type { FieldIssue } from "../errors.js";

/**
 * Which custom headers (`config.headers`) a connection may carry. undici refuses a request whose
 * headers break its rules (UND_ERR_INVALID_ARG), which once surfaced only at call time, as "could not
 * reach …": those rules are checked when headers are written, with a few more of our own, and the
 * client's own again before a call, for rows stored before the check existed.
 */

export const MAX_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 100;
export const MAX_HEADER_VALUE_LENGTH = 1000;
/**
 * Names and values together. Node servers refuse more than 16 KiB of request headers (431) and
 * common proxies 8 KiB a line; this leaves room for the auth and client headers sent beside them.
 */
export const MAX_HEADERS_TOTAL_LENGTH = 8 * 1024;

/** An RFC 9110 token, the only header names an HTTP client sends: for the schema's documentation. */
export const HEADER_NAME_PATTERN = `^[!#$%&'*+.^_\`|~0-9A-Za-z-]{1,${MAX_HEADER_NAME_LENGTH}}$`;

const KEY_HEADER = "may not be set: keys go in api_key";
const HOP_BY_HOP = "is a hop-by-hop header the HTTP client manages; it cannot be a custom header";

/** Names undici refuses to send whatever their value: a request carrying one fails before it leaves. */
const UNSENDABLE_NAMES: ReadonlySet<string> = new Set([
  "expect",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Names refused on write though undici would send them: key headers (a key belongs in api_key,
 * encrypted), headers that would steer the request itself (host, content-length) or its format
 * (content-type, accept), and hop-by-hop ones (RFC 9110 7.6.1), which the client manages.
 */
const REFUSED_NAMES: ReadonlyMap<string, string> = new Map([
  ["authorization", KEY_HEADER],
  ["api-key", KEY_HEADER],
  ["x-api-key", KEY_HEADER],
  ["x-goog-api-key", KEY_HEADER],
  ["cookie", KEY_HEADER],
  ["host", "is set from base_url; it cannot be a custom header"],
  ["content-length", "is set from each request's body; it cannot be a custom header"],
  // Sent after ours, a custom one would replace them: JSON calls and streams would break.
  ["content-type", "is set per request (JSON); it cannot be a custom header"],
  ["accept", "is set per request (JSON, or the stream's format); it cannot be a custom header"],
  ["connection", HOP_BY_HOP],
  ["proxy-connection", HOP_BY_HOP],
  ["te", HOP_BY_HOP],
  ["trailer", HOP_BY_HOP],
]);

const INVALID_NAME =
  "is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~ only (an RFC 9110 token)";
// The value is never quoted back: a header value may be a secret.
const INVALID_VALUE =
  "has a value that cannot be sent: no line breaks or other control characters (tab is fine), nothing past U+00FF";

/** A JSON pointer segment (RFC 6901): `~` and `/` are escaped. */
const pointerSegment = (name: string) => name.replace(/~/g, "~0").replace(/\//g, "~1");

const accepts = (validate: () => void): boolean => {
  try {
    validate();
    return true;
  } catch {
    return false;
  }
};

/** Why the HTTP client would refuse to send this header, or undefined (Node's own checks, as undici's). */
function unsendable(name: string, value: unknown): string | undefined {
  if (!accepts(() => validateHeaderName(name))) return INVALID_NAME;
  if (UNSENDABLE_NAMES.has(name.toLowerCase()))
    return "is refused by the HTTP client; it cannot be a custom header";
  if (typeof value !== "string") return "must be a string";
  if (!accepts(() => validateHeaderValue(name, value))) return INVALID_VALUE;
  return undefined;
}

/** Why a header being written is refused, or undefined; `seen` holds the lower-cased names before it. */
function refusedOnWrite(name: string, value: unknown, seen: ReadonlySet<string>): string | undefined {
  if (name.length > MAX_HEADER_NAME_LENGTH)
    return `must be a name of at most ${MAX_HEADER_NAME_LENGTH} characters`;
  if (typeof value === "string" && value.length > MAX_HEADER_VALUE_LENGTH)
    return `must not be longer than ${MAX_HEADER_VALUE_LENGTH} characters`;
  const lower = name.toLowerCase();
  return (
    unsendable(name, value) ??
    REFUSED_NAMES.get(lower) ??
    // The client sends names lower-cased, so one of the two would be dropped without a word.
    (seen.has(lower) ? "repeats another header's name (names are case-insensitive)" : undefined)
  );
}

/**
 * Every rule, for headers being written: one issue per header refused, each at `{at}/<name>`, plus
 * one at `at` when together they are too large. Values arrive typed as strings but are checked as
 * unknown: the schema checks only the values of names that match its pattern.
 */
export function customHeaderIssues(
  headers: Readonly<Record<string, unknown>>,
  at = "/config/headers",
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const [name, value] of Object.entries(headers)) {
    total += name.length + (typeof value === "string" ? value.length : 0);
    const message = refusedOnWrite(name, value, seen);
    seen.add(name.toLowerCase());
    if (message !== undefined) issues.push({ field: `${at}/${pointerSegment(name)}`, message });
  }
  if (total > MAX_HEADERS_TOTAL_LENGTH) {
    issues.push({
      field: at,
      message: `must not hold more than ${MAX_HEADERS_TOTAL_LENGTH} characters of names and values together`,
    });
  }
  return issues;
}

/**
 * The first header the HTTP client would refuse to send, for a row stored before the write-time
 * rules: only what would fail the call, so a stored row the client accepts keeps working.
 */
export function firstUnsendableHeader(
  headers: Readonly<Record<string, unknown>>,
  at = "/config/headers",
): FieldIssue | undefined {
  for (const [name, value] of Object.entries(headers)) {
    const message = unsendable(name, value);
    if (message !== undefined) return { field: `${at}/${pointerSegment(name)}`, message };
  }
  return undefined;
}
