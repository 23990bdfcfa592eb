import { ProviderError, sanitizeUpstreamText, type ProviderErrorKind } from "../errors.js";
import { isRecord, readGenericUpstreamError, type UpstreamErrorReading } from "../http.js";

/**
 * Anthropic's error body, `{type: "error", error: {type, message}, request_id}`, over HTTP and as
 * a mid-stream SSE `error` event. The error type says what the status would: a stream has already
 * answered 200, so its errors carry the status their type stands for (overloaded_error is 529).
 */

const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function kindOfType(type: string | undefined): ProviderErrorKind | undefined {
  switch (type) {
    case "authentication_error":
    case "permission_error":
      return "auth";
    case "rate_limit_error":
      return "rate_limited";
    case "timeout_error":
      return "timeout";
    default:
      return undefined;
  }
}

function errorOf(body: unknown): { type?: string; message?: string } {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  return {
    type: typeof error?.type === "string" ? error.type : undefined,
    message: typeof error?.message === "string" ? error.message : undefined,
  };
}

/** For postJson / postStream: the message with its type (`overloaded_error: Overloaded`). */
export function readAnthropicError(status: number, body: unknown): UpstreamErrorReading {
  const { type, message } = errorOf(body);
  if (type === undefined) return readGenericUpstreamError(status, body);
  const kind = kindOfType(type);
  return {
    message: message === undefined ? type : `${type}: ${message}`,
    ...(kind !== undefined ? { kind } : {}),
  };
}

/** An SSE `error` event's data, as the ProviderError the part iterator throws. */
export function anthropicStreamError(
  data: unknown,
  where: string,
  secrets: readonly string[],
): ProviderError {
  const { type, message } = errorOf(data);
  const status = type === undefined ? undefined : STATUS_OF_TYPE[type];
  const said = sanitizeUpstreamText(
    type === undefined
      ? (message ?? "unknown error")
      : `${type}${message === undefined ? "" : `: ${message}`}`,
    secrets,
  );
  const kind = kindOfType(type) ?? "upstream_error";
  return new ProviderError(kind, `${where} sent an error mid-stream: ${said}`, { status });
}
