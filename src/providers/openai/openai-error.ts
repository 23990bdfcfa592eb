import { isRecord, readGenericUpstreamError, type UpstreamErrorReading } from "../http.js";

/**
 * OpenAI's error body, `{error: {message, type, param, code}}` (Azure: `{error: {code, message}}`),
 * read for a ProviderError. The status decides the kind (401/403 auth, 429 rate_limited, the rest
 * upstream_error with the status kept, so a 400 stays a 400 and is not retried); the code refines it:
 * a 429 `insufficient_quota` is a billing stop, not a rate limit, and a retry cannot help.
 */
export function readOpenAIError(status: number, body: unknown): UpstreamErrorReading {
  const reading = readGenericUpstreamError(status, body);
  const error = isRecord(body) ? body.error : undefined;
  const code = isRecord(error) ? (error.code ?? error.type) : undefined;
  if (code === "insufficient_quota") return { ...reading, kind: "upstream_error", isRetryable: false };
  return reading;
}
