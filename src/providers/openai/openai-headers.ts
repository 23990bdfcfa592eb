import { requestHeaders } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";

/** OpenAI and its compatibles: a Bearer key when there is one, and the organization when set. */
export function openaiHeaders(target: ProviderTarget): Record<string, string> {
  return requestHeaders(target, {
    authorization: target.apiKey ? `Bearer ${target.apiKey}` : undefined,
    "openai-organization": target.organization || undefined,
  });
}
