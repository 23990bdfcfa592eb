import type { ProviderType } from "./spec.js";

/** Where each provider type lives when a connection names no base URL; undefined: one is required. */
export const DEFAULT_BASE_URLS: Readonly<Record<ProviderType, string | undefined>> = {
  openai: "https://api.openai.com/v1",
  deepseek: "https://api.deepseek.com/v1",
  anthropic: "https://api.anthropic.com",
  google: "https://generativelanguage.googleapis.com",
  ollama: "http://localhost:11434",
  litellm: "http://localhost:4000/v1",
  "openai-compatible": undefined,
  "azure-openai": undefined,
};

/** The configured base URL (trimmed, when not blank), else the type's default, else undefined. */
export function baseUrlFor(type: ProviderType, configured?: string | null): string | undefined {
  const trimmed = configured?.trim();
  return trimmed ? trimmed : DEFAULT_BASE_URLS[type];
}
