import { anthropicAdapter } from "./anthropic/anthropic-adapter.js";
import { googleAdapter } from "./google/google-adapter.js";
import { ollamaAdapter } from "./ollama/ollama-adapter.js";
import { azureOpenAIAdapter } from "./openai/azure-openai-adapter.js";
import { openaiAdapter } from "./openai/openai-adapter.js";
import type { ChatAdapter } from "./chat-spec.js";
import type { ProviderAdapter, ProviderType } from "./spec.js";

/** Every provider type's adapter; a new type fails the typecheck until it has one. */
const ADAPTERS: Readonly<Record<ProviderType, ProviderAdapter & ChatAdapter>> = {
  openai: openaiAdapter,
  "openai-compatible": openaiAdapter,
  deepseek: openaiAdapter,
  litellm: openaiAdapter,
  "azure-openai": azureOpenAIAdapter,
  anthropic: anthropicAdapter,
  google: googleAdapter,
  ollama: ollamaAdapter,
};

export function adapterFor(providerType: ProviderType): ProviderAdapter & ChatAdapter {
  return ADAPTERS[providerType];
}
