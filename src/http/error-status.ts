import type { ErrorCode } from "../domain/errors.js";

export interface ErrorPresentation {
  status: number;
  title: string;
  /** The `type` OpenAI's error envelope uses for this kind of failure under /v1. */
  openaiType:
    | "invalid_request_error"
    | "authentication_error"
    | "permission_error"
    | "not_found_error"
    | "rate_limit_error"
    | "api_error";
}

/** The one place an error code becomes an HTTP status. Exhaustive: a new code must be mapped here. */
export function presentError(code: ErrorCode): ErrorPresentation {
  switch (code) {
    case "bad_request":
      return { status: 400, title: "Bad request", openaiType: "invalid_request_error" };
    case "validation_failed":
      return { status: 422, title: "Validation failed", openaiType: "invalid_request_error" };
    case "unauthorized":
      return { status: 401, title: "Unauthorized", openaiType: "authentication_error" };
    case "forbidden":
      return { status: 403, title: "Forbidden", openaiType: "permission_error" };
    case "not_found":
      return { status: 404, title: "Not found", openaiType: "not_found_error" };
    case "unknown_setting":
      return { status: 404, title: "Unknown setting", openaiType: "not_found_error" };
    case "method_not_allowed":
      return { status: 405, title: "Method not allowed", openaiType: "invalid_request_error" };
    case "request_timeout":
      return { status: 408, title: "Request timeout", openaiType: "invalid_request_error" };
    case "conflict":
      return { status: 409, title: "Conflict", openaiType: "invalid_request_error" };
    case "payload_too_large":
      return { status: 413, title: "Payload too large", openaiType: "invalid_request_error" };
    case "unsupported_media_type":
      return { status: 415, title: "Unsupported media type", openaiType: "invalid_request_error" };
    case "rate_limited":
      return { status: 429, title: "Too many requests", openaiType: "rate_limit_error" };
    case "headers_too_large":
      return { status: 431, title: "Request header fields too large", openaiType: "invalid_request_error" };
    case "internal_error":
      return { status: 500, title: "Internal server error", openaiType: "api_error" };
    case "upstream_failed":
      return { status: 502, title: "Upstream failed", openaiType: "api_error" };
    case "upstream_timeout":
      return { status: 504, title: "Upstream timed out", openaiType: "api_error" };
    case "service_unavailable":
      return { status: 503, title: "Service unavailable", openaiType: "api_error" };
  }
}
