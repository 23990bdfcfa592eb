/**
 * The provider types a connection may have, and what each requires. `mock` is deliberately absent
 * (seed 000 removed it); anything not listed is refused with 422.
 */
export const PROVIDER_TYPES = [
  "openai",
  "openai-compatible",
  "anthropic",
  "google",
  "ollama",
  "deepseek",
  "litellm",
  "azure-openai",
] as const;

export type ProviderType = (typeof PROVIDER_TYPES)[number];

export interface ProviderTypeRules {
  /** Used when the connection names none; undefined means base_url is required. */
  defaultBaseUrl: string | undefined;
  /** Cloud APIs refuse calls without a key; local servers (Ollama) take none. */
  requiresKey: boolean;
  label: string;
}

export const PROVIDER_TYPE_RULES: Record<ProviderType, ProviderTypeRules> = {
  openai: { defaultBaseUrl: "https://api.openai.com/v1", requiresKey: true, label: "OpenAI" },
  "openai-compatible": { defaultBaseUrl: undefined, requiresKey: false, label: "OpenAI-compatible server" },
  anthropic: { defaultBaseUrl: "https://api.anthropic.com", requiresKey: true, label: "Anthropic" },
  google: {
    defaultBaseUrl: "https://generativelanguage.googleapis.com",
    requiresKey: true,
    label: "Google Gemini",
  },
  ollama: { defaultBaseUrl: "http://localhost:11434", requiresKey: false, label: "Ollama" },
  deepseek: { defaultBaseUrl: "https://api.deepseek.com/v1", requiresKey: true, label: "DeepSeek" },
  litellm: { defaultBaseUrl: "http://localhost:4000/v1", requiresKey: false, label: "LiteLLM proxy" },
  "azure-openai": { defaultBaseUrl: undefined, requiresKey: true, label: "Azure OpenAI" },
};

export function effectiveBaseUrl(type: ProviderType, baseUrl: string | null): string | undefined {
  return baseUrl ?? PROVIDER_TYPE_RULES[type].defaultBaseUrl;
}
