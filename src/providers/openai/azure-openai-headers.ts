import { requestHeaders } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";

/** Azure OpenAI with a resource key: `api-key`, not Authorization. */
export function azureOpenAIHeaders(target: ProviderTarget): Record<string, string> {
  return requestHeaders(target, { "api-key": target.apiKey || undefined });
}
