/**
 * The closed set of error codes every service and route speaks. HTTP status, title and the OpenAI
 * envelope's type for each live in one exhaustive switch (src/http/error-status.ts); adding a code
 * here without mapping it there fails the typecheck.
 */
export type ErrorCode =
  | "bad_request"
  | "validation_failed"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "unknown_setting"
  | "method_not_allowed"
  | "request_timeout"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "headers_too_large"
  | "internal_error"
  | "upstream_failed"
  | "service_unavailable"
  | "upstream_timeout";

/** One field that failed validation: a JSON pointer into the input and what was wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  /** Field-level problems, for validation_failed. */
  issues?: FieldIssue[];
  /** Seconds until a retry may succeed, for rate_limited and service_unavailable. */
  retryAfterSeconds?: number;
  /** Response headers that explain the error (the x-ratelimit-* family). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An expected failure with a code from the closed set. The message is shown to the caller, so it
 * must never carry a secret; unexpected errors are not AppErrors and surface as internal_error.
 */
export class AppError extends Error {
  readonly issues: FieldIssue[];
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.issues = options.issues ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
