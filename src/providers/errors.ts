/**
 * The one error type for upstream failures. Its message is shown to users and written to logs, so it
 * is built from sanitized parts only: never the API key, never a header, never more than
 * MAX_UPSTREAM_EXCERPT characters of what the upstream said (upstreams echo keys in error bodies).
 */
export type ProviderErrorKind =
  "auth" | "rate_limited" | "timeout" | "unreachable" | "bad_response" | "upstream_error" | "blocked_address";

export const REDACTED = "[redacted]";

/** The most of an upstream's own words (error body, non-JSON answer) a message carries. */
export const MAX_UPSTREAM_EXCERPT = 200;

/**
 * The longest wait an upstream's retry hint is passed on as: a day. Past it the hint is a broken
 * upstream (999999999 s is 31 years), not advice any client should follow.
 */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

export interface ProviderErrorOptions {
  /** The upstream's HTTP status, when it answered. */
  status?: number;
  /** Seconds the upstream asked to wait (Retry-After and its cousins). */
  retryAfterSeconds?: number;
  /** Overrides the default derived from kind and status. */
  isRetryable?: boolean;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly isRetryable: boolean;

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    options: ProviderErrorOptions = {},
  ) {
    // Callers pass sanitized text; the shape-based pass here is the safety net for what they missed.
    super(redactTokens(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProviderError";
    this.status = options.status;
    this.retryAfterSeconds = boundRetryAfter(options.retryAfterSeconds);
    this.isRetryable = options.isRetryable ?? defaultRetryable(kind, options.status);
  }
}

/** Whole seconds from 0 to MAX_RETRY_AFTER_SECONDS; a hint that is no number is no hint. */
function boundRetryAfter(seconds: number | undefined): number | undefined {
  if (seconds === undefined || Number.isNaN(seconds)) return undefined;
  return Math.min(Math.max(0, Math.ceil(seconds)), MAX_RETRY_AFTER_SECONDS);
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}

/** 408 Request Timeout, 409 Conflict, 429 Too Many Requests and every 5xx are worth a retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function defaultRetryable(kind: ProviderErrorKind, status: number | undefined): boolean {
  switch (kind) {
    case "rate_limited":
    case "timeout":
    case "unreachable":
      return true;
    case "upstream_error":
      return status !== undefined && isRetryableStatus(status);
    case "auth":
    case "bad_response":
    case "blocked_address":
      return false;
  }
}

/**
 * Secrets recognised by their shape. The lookbehinds keep `task-...` or `easy-...` from reading as
 * `sk-` / `sy-`. `*` is part of the sk-/sy- pattern because upstreams echo masked keys
 * (`sk-abc***xyz`) and even a masked key says more than a message needs.
 */
const TOKEN_PATTERNS: readonly [RegExp, string][] = [
  // OpenAI, Anthropic, DeepSeek (sk-...) and Switchyard (sy-...) keys, masked or not.
  [/(?<![A-Za-z0-9])(?:sk|sy)-[A-Za-z0-9_*-]+/g, REDACTED],
  // An Authorization header value: scheme and credentials.
  [/(?<![A-Za-z0-9])(?:bearer|basic)\s+[A-Za-z0-9._~+/=*-]+/gi, REDACTED],
  // A Google API key.
  [/(?<![A-Za-z0-9])AIza[A-Za-z0-9_-]{20,}/g, REDACTED],
  // A JWT.
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // `key=...`, `api-key: ...`, `"token": "..."`: the value after a secret-named field.
  [
    /((?:api[-_]?key|access[-_]?token|token|secret|password|authorization|key)["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi,
    `$1${REDACTED}`,
  ],
  // Anything else that looks like a long random token (Azure keys are 32 hex characters).
  [/(?<![A-Za-z0-9])[A-Za-z0-9]{32,}(?![A-Za-z0-9])/g, REDACTED],
];

function redactTokens(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TOKEN_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Upstream text made fit for a message: every given secret (and its URL-encoded form, and the forms
 * an upstream may echo it in: see looseSecretPattern) and every token-shaped string replaced by
 * REDACTED, control characters and runs of whitespace collapsed to one space, then cut to
 * MAX_UPSTREAM_EXCERPT characters. Redaction comes before the cut, so a key cannot survive as a
 * fragment at the edge. Runs on error paths only.
 */
export function sanitizeUpstreamText(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.replaceAll(form, REDACTED);
  for (const secret of secrets) {
    const loose = looseSecretPattern(secret);
    if (loose !== undefined) out = out.replace(loose, REDACTED);
  }
  out = redactTokens(out);
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  return cut(out, MAX_UPSTREAM_EXCERPT);
}

/** Shorter secrets are matched exactly only: loosely, 8 characters could match ordinary words. */
const MIN_LOOSE_SECRET = 12;

/**
 * A secret as upstreams have been seen to echo it altered: in another case, spaced or broken over
 * lines, or without its vendor prefix (`sk-`, `sk-proj-`, `sk-ant-api03-`): the part after the
 * prefix is the secret. Case-insensitive, with any whitespace allowed between characters.
 */
function looseSecretPattern(secret: string): RegExp | undefined {
  const core = secret.replace(/^(?:[A-Za-z]{2,4}-){1,2}(?:[A-Za-z]+\d*-)?/, "");
  const form = core.length >= MIN_LOOSE_SECRET ? core : secret;
  if (form.length < MIN_LOOSE_SECRET) return undefined;
  const chars = [...form].map((c) => c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"));
  return new RegExp(chars.join("\\s*"), "gi");
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  // Do not split a surrogate pair at the edge.
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
