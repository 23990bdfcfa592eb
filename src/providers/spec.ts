import type { Dispatcher } from "undici";
import type { CancelSignal } from "./cancel-signal.js";

/**
 * The adapter interface every provider implements, and the types around it: no HTTP here. The chat
 * half (doGenerate, doStream) joins this interface when the chat adapters land; listing and the
 * health check come first because a connection is tested before it serves anything.
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

export function isProviderType(value: unknown): value is ProviderType {
  return typeof value === "string" && (PROVIDER_TYPES as readonly string[]).includes(value);
}

/** The protocol spoken on the wire; several provider types share one (deepseek speaks openai). */
export type WireFormat = "openai" | "anthropic" | "google" | "ollama";

export function wireFormatOf(type: ProviderType): WireFormat {
  switch (type) {
    case "openai":
    case "openai-compatible":
    case "deepseek":
    case "litellm":
    case "azure-openai":
      return "openai";
    case "anthropic":
      return "anthropic";
    case "google":
      return "google";
    case "ollama":
      return "ollama";
  }
}

/** Everything an adapter needs to reach one connection's upstream. The key is already decrypted. */
export interface ProviderTarget {
  providerType: ProviderType;
  /** Already defaulted (see default-base-urls.ts) and checked (see ssrf.ts checkBaseUrl). */
  baseUrl: string;
  apiKey: string | undefined;
  /** Whole-call budget: a listing that pages shares it across its requests. */
  timeoutMs: number;
  /** Custom headers from the connection's config; the adapter's own auth headers win over these. */
  headers?: Record<string, string>;
  /** OpenAI's `OpenAI-Organization`. */
  organization?: string;
  /** azure-openai only; apiVersion defaults to AZURE_DEFAULT_API_VERSION when absent. */
  azure?: { apiVersion: string; deployment?: string };
  /**
   * The undici dispatcher every request of this target goes through: the SSRF guard lives in it
   * (ssrf.ts createGuardedDispatcher, one per policy, see dispatchers.ts). Required, so no call can
   * go out on undici's unguarded global dispatcher by omission.
   */
  dispatcher: Dispatcher;
  /**
   * Names the upstream in error messages in place of its host/path (e.g. `connection "gpt-shared"`):
   * set when the caller may use the connection but not change it, and so is not to learn where it
   * points. Unset, messages say host/path, which the connection's managers need to debug it.
   */
  label?: string;
}

export interface ModelInfo {
  id: string;
  owned_by?: string;
  context_window?: number;
}

export interface HealthCheckResult {
  latencyMs: number;
  models: ModelInfo[];
}

/**
 * One adapter per wire format (azure-openai has its own, speaking openai). Every method throws
 * ProviderError for an upstream failure; a caller's abort rejects with the signal's reason.
 */
export interface ProviderAdapter {
  readonly specificationVersion: "v1";
  readonly wireFormat: WireFormat;
  listModels(target: ProviderTarget, signal?: CancelSignal): Promise<ModelInfo[]>;
  /** The cheap check: lists the models, never a paid completion. */
  checkHealth(target: ProviderTarget, signal?: CancelSignal): Promise<HealthCheckResult>;
}
