import { requestHeaders } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";

export const ANTHROPIC_VERSION = "2023-06-01";

/** `x-api-key` and the API version Anthropic requires on every request. */
export function anthropicHeaders(target: ProviderTarget): Record<string, string> {
  return requestHeaders(target, {
    "x-api-key": target.apiKey || undefined,
    "anthropic-version": ANTHROPIC_VERSION,
  });
}
