import { baseUrlFor } from "../../providers/default-base-urls.js";
import type { ProviderType } from "../../providers/spec.js";

/**
 * What each provider type requires of a connection. The types and their default base URLs are the
 * adapters' (providers/spec.ts, providers/default-base-urls.ts); `mock` is deliberately not a type
 * (seed 000 removed it) and is refused with 422.
 */
export { PROVIDER_TYPES, type ProviderType } from "../../providers/spec.js";

export interface ProviderTypeRules {
  /** Cloud APIs refuse calls without a key; local servers (Ollama) take none. */
  requiresKey: boolean;
}

export const PROVIDER_TYPE_RULES: Record<ProviderType, ProviderTypeRules> = {
  openai: { requiresKey: true },
  "openai-compatible": { requiresKey: false },
  anthropic: { requiresKey: true },
  google: { requiresKey: true },
  ollama: { requiresKey: false },
  deepseek: { requiresKey: true },
  litellm: { requiresKey: false },
  "azure-openai": { requiresKey: true },
};

/** The stored base URL, else the type's default; undefined when the type has none (it is required). */
export function effectiveBaseUrl(type: ProviderType, baseUrl: string | null): string | undefined {
  return baseUrlFor(type, baseUrl);
}
