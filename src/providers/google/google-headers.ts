import { requestHeaders } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";

/** The key goes in `x-goog-api-key`, never in the URL's `key=` (URLs end up in logs and proxies). */
export function googleHeaders(target: ProviderTarget): Record<string, string> {
  return requestHeaders(target, { "x-goog-api-key": target.apiKey || undefined });
}
