import { ProviderError, sanitizeUpstreamText } from "../errors.js";
import { isRecord, readGenericUpstreamError, type UpstreamErrorReading } from "../http.js";

/**
 * Google's error body: `{error: {code, message, status, details: [{"@type", reason, retryDelay}]}}`.
 * A wrong key is HTTP 400 INVALID_ARGUMENT with reason API_KEY_INVALID, not 401, so the status alone
 * would call it upstream_error; a quota error carries its wait as RetryInfo.retryDelay ("37s").
 */
export function readGoogleError(status: number, body: unknown): UpstreamErrorReading {
  const reading: UpstreamErrorReading = { ...readGenericUpstreamError(status, body) };
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const details = error && Array.isArray(error.details) ? error.details.filter(isRecord) : [];
  const reasons = details.map((d) => d.reason).filter((r): r is string => typeof r === "string");
  if (reasons.some((r) => r === "API_KEY_INVALID" || r === "API_KEY_SERVICE_BLOCKED")) {
    reading.kind = "auth";
  } else if (error?.status === "UNAUTHENTICATED" || error?.status === "PERMISSION_DENIED") {
    reading.kind = "auth";
  }
  for (const detail of details) {
    const delay = typeof detail.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null;
    if (delay?.[1] !== undefined) reading.retryAfterSeconds = Math.ceil(Number(delay[1]));
  }
  return reading;
}

/**
 * An error Gemini sends inside a stream that already answered 200 (`data: {"error": {...}}`), as
 * the ProviderError the part iterator throws: its code stands for the status it would have had.
 */
export function googleStreamError(data: unknown, where: string, secrets: readonly string[]): ProviderError {
  const error = isRecord(data) && isRecord(data.error) ? data.error : {};
  const status =
    typeof error.code === "number" && error.code >= 400 && error.code <= 599 ? error.code : undefined;
  const reading = readGoogleError(status ?? 500, data);
  const kind =
    reading.kind ??
    (status === 429 ? "rate_limited" : status === 401 || status === 403 ? "auth" : "upstream_error");
  const said = sanitizeUpstreamText(
    [typeof error.status === "string" ? error.status : undefined, reading.message]
      .filter(Boolean)
      .join(": ") || "unknown error",
    secrets,
  );
  return new ProviderError(kind, `${where} sent an error mid-stream: ${said}`, {
    status,
    retryAfterSeconds: reading.retryAfterSeconds,
  });
}
