import { AppError } from "../domain/errors.js";
import type { ProviderError } from "../providers/errors.js";

/**
 * An upstream failure as the gateway's caller sees it: their own request refused upstream (400, 404,
 * 422) stays a 400 with the upstream's (sanitized) words; a limit upstream is a 429 with its hint;
 * anything about the connection itself (its key refused, the upstream down or broken) is the
 * gateway's 502, or 504 for a timeout.
 */
export function mapProviderError(error: ProviderError): AppError {
  const message = error.message;
  switch (error.kind) {
    case "rate_limited":
      return new AppError("rate_limited", `The upstream is rate limiting: ${message}`, {
        retryAfterSeconds: error.retryAfterSeconds,
      });
    case "timeout":
      return new AppError("upstream_timeout", message);
    case "auth":
      return new AppError("upstream_failed", `The upstream refused the connection's credentials: ${message}`);
    case "upstream_error":
      if (error.status !== undefined && [400, 404, 413, 422].includes(error.status)) {
        return new AppError("bad_request", message);
      }
      return new AppError("upstream_failed", message);
    case "blocked_address":
    case "unreachable":
    case "bad_response":
      return new AppError("upstream_failed", message);
  }
}
