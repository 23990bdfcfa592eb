/**
 * Makes audit details safe to store: a deep copy with secrets replaced, bounded in depth and size.
 * Callers are told never to put a secret in details; this is the net under that rule, so it errs
 * toward redacting too much. It never throws, whatever it is given (cycles, getters that throw,
 * class instances, bigints).
 */

export const REDACTED = "[redacted]";

/** Longest string kept; a longer one is cut and ends with TRUNCATED_MARK, within this length. */
export const MAX_STRING_LENGTH = 1000;
/** Nesting deeper than this is replaced by TRUNCATED_MARK. */
export const MAX_DEPTH = 10;
/** Properties kept per object and items kept per array. */
export const MAX_ENTRIES = 100;
/** Values copied in all; past this every further value is replaced by TRUNCATED_MARK. */
export const MAX_NODES = 2000;

export const TRUNCATED_MARK = "…[truncated]";
export const CIRCULAR_MARK = "[circular]";

/**
 * Property names (lowercased, with every character but letters and digits removed, so `api_key`,
 * `api-key`, `apiKey` and `API_KEY` are all `apikey`) whose value is a secret whatever it looks like.
 * `key` alone is a secret (a bare key is usually an API key); `key_id` or `idempotency_key` are not.
 */
const SECRET_NAMES = new Set([
  "password",
  "passwd",
  "secret",
  "token",
  "tokens",
  "accesstoken",
  "refreshtoken",
  "apikey",
  "key",
  "authorization",
  "cookie",
  "masterkey",
  "privatekey",
  "credential",
  "credentials",
]);

/** Endings that make a compound name secret: new_password, client_secret, x-api-key, set-cookie. */
const SECRET_SUFFIXES = [
  "password",
  "passwd",
  "secret",
  "token",
  "apikey",
  "accesskey",
  "secretkey",
  "masterkey",
  "privatekey",
  "signingkey",
  "credential",
  "credentials",
  "authorization",
  "cookie",
  "cookies",
];

/** Parts that make any name secret: password_hash, secret_value, api_key_encrypted. */
const SECRET_PARTS = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "privatekey",
  "masterkey",
  "encrypted",
  "ciphertext",
];

/** Whether a property of this name holds a secret, so its value is redacted whatever it is. */
export function isSecretName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (normalized === "") return false;
  if (SECRET_NAMES.has(normalized)) return true;
  if (SECRET_SUFFIXES.some((suffix) => normalized.endsWith(suffix))) return true;
  return SECRET_PARTS.some((part) => normalized.includes(part));
}

/**
 * Secrets recognised by their shape wherever they appear in a string; each match is replaced, so a
 * string that is only a key becomes exactly REDACTED and an error message keeps its other words.
 * The lookbehind keeps `easy-...` or `task-...` from reading as `sy-` / `sk-`. Every pattern ignores
 * case: a secret typed into a field that is lower-cased before it is logged (an email) still counts.
 */
const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  // A Switchyard API key.
  /(?<![A-Za-z0-9])sy-[A-Za-z0-9_-]{20,}/gi,
  // OpenAI (sk-..., sk-proj-...) and Anthropic (sk-ant-...) style keys.
  /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/gi,
  // An Authorization header value: the scheme and its token68 credentials. Before the JWT pattern,
  // so `Bearer eyJ...` goes as a whole.
  /(?<![A-Za-z0-9])bearer\s+[A-Za-z0-9._~+/=-]+/gi,
  // A JWT: base64url header (always `{"` -> eyJ), payload, signature (empty for alg none).
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/gi,
  // A PEM private key block, to its end or the end of the string when cut short.
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/gi,
];

/** The password in a URL's userinfo (postgres://user:pass@host): only the password is replaced. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)([^\s/?#@]+)@/gi;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The string with every secret-shaped part replaced by REDACTED, cut to MAX_STRING_LENGTH, and
 * storable as JSON text in every database (no NUL, which PostgreSQL's jsonb refuses, and no lone
 * surrogate halves, which it refuses too).
 */
export function redactString(value: string): string {
  let out = value;
  for (const pattern of SECRET_VALUE_PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  out = out.replaceAll("\u0000", "").replace(LONE_SURROGATE, "\uFFFD");
  return truncate(out);
}

/** A redacted deep copy of an audit event's details, as redactValue describes. */
export function redactSecrets(details: Record<string, unknown>): Record<string, unknown> {
  const copy = redactValue(details);
  return isPlainRecord(copy) ? copy : {};
}

/**
 * A redacted deep copy of any value, made of JSON values only: plain objects, arrays, strings,
 * finite numbers, booleans and null. Properties with secret names become REDACTED (unless their
 * value is a boolean or null, which says whether a secret is set without carrying it); strings have
 * secret-shaped parts replaced; a cycle becomes CIRCULAR_MARK; anything past the depth, entry or
 * node limits becomes TRUNCATED_MARK. Dates become ISO strings, bigints decimal strings, errors
 * `{name, message}`, binary data a byte count; functions, symbols and undefined properties are dropped.
 */
export function redactValue(value: unknown): unknown {
  const state: WalkState = { nodes: 0, ancestors: new Set() };
  return walk(value, 0, state);
}

interface WalkState {
  nodes: number;
  /** The objects on the path from the root to the current value, to tell a cycle from a shared reference. */
  ancestors: Set<object>;
}

function walk(value: unknown, depth: number, state: WalkState): unknown {
  state.nodes += 1;
  if (state.nodes > MAX_NODES) return TRUNCATED_MARK;

  switch (typeof value) {
    case "string":
      return redactString(value);
    case "number":
      return Number.isFinite(value) ? value : null;
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null || typeof value !== "object") return null;

  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`;
  if (state.ancestors.has(value)) return CIRCULAR_MARK;
  if (depth >= MAX_DEPTH) return TRUNCATED_MARK;

  state.ancestors.add(value);
  try {
    if (Array.isArray(value)) return walkArray(value, depth, state);
    if (value instanceof Error) {
      return { name: redactString(value.name), message: redactString(value.message) };
    }
    if (value instanceof Map) return walkEntries([...value.entries()], depth, state);
    if (value instanceof Set) return walkArray([...value.values()], depth, state);
    return walkEntries(ownEntries(value), depth, state);
  } finally {
    state.ancestors.delete(value);
  }
}

function walkArray(items: readonly unknown[], depth: number, state: WalkState): unknown[] {
  const out: unknown[] = [];
  for (const item of items.slice(0, MAX_ENTRIES)) {
    const copy = walk(item, depth + 1, state);
    // As JSON.stringify does: an item with no JSON form keeps its place as null.
    out.push(copy === undefined ? null : copy);
  }
  if (items.length > MAX_ENTRIES) out.push(`${TRUNCATED_MARK} ${items.length - MAX_ENTRIES} more items`);
  return out;
}

function walkEntries(
  entries: readonly (readonly [unknown, unknown])[],
  depth: number,
  state: WalkState,
): Record<string, unknown> {
  const out: [string, unknown][] = [];
  for (const [rawName, item] of entries.slice(0, MAX_ENTRIES)) {
    const name = redactString(String(rawName));
    if (isSecretName(name) && item !== null && item !== undefined && typeof item !== "boolean") {
      state.nodes += 1;
      out.push([name, REDACTED]);
      continue;
    }
    const copy = walk(item, depth + 1, state);
    if (copy !== undefined) out.push([name, copy]);
  }
  if (entries.length > MAX_ENTRIES)
    out.push([TRUNCATED_MARK, `${entries.length - MAX_ENTRIES} more properties`]);
  // fromEntries defines own properties, so a `__proto__` name is copied as data, not as a prototype.
  return Object.fromEntries(out);
}

/** Own enumerable string-keyed properties; a getter that throws reads as its error's message. */
function ownEntries(value: object): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (const name of Object.keys(value)) {
    try {
      entries.push([name, (value as Record<string, unknown>)[name]]);
    } catch {
      entries.push([name, "[unreadable]"]);
    }
  }
  return entries;
}

function truncate(value: string): string {
  if (value.length <= MAX_STRING_LENGTH) return value;
  let end = MAX_STRING_LENGTH - TRUNCATED_MARK.length;
  // Do not cut a surrogate pair in half.
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return value.slice(0, end) + TRUNCATED_MARK;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
