import { requestHeaders } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";

/**
 * A local Ollama takes no key. One behind an authenticating proxy, or ollama.com's hosted API, takes
 * a Bearer key, so one is sent when the connection has it.
 */
export function ollamaHeaders(target: ProviderTarget): Record<string, string> {
  return requestHeaders(target, { authorization: target.apiKey ? `Bearer ${target.apiKey}` : undefined });
}
