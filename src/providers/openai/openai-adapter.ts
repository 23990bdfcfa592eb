import { checkHealthByListing } from "../check-health-by-listing.js";
import { joinUrl } from "../http.js";
import type { ProviderAdapter } from "../spec.js";
import { listOpenAIModels } from "./list-openai-models.js";
import { createOpenAIChatAdapter, type OpenAIChatAdapter } from "./openai-chat-adapter.js";
import { openaiHeaders } from "./openai-headers.js";

/**
 * openai, openai-compatible, deepseek and litellm: `{base}/chat/completions` and `{base}/embeddings`
 * with a Bearer key (the base includes `/v1`).
 */
const chat = createOpenAIChatAdapter({
  chatCompletionsUrl: (target) => joinUrl(target.baseUrl, "chat/completions"),
  embeddingsUrl: (target) => joinUrl(target.baseUrl, "embeddings"),
  headers: openaiHeaders,
});

export const openaiAdapter: ProviderAdapter & OpenAIChatAdapter = {
  specificationVersion: "v1",
  wireFormat: "openai",
  listModels: listOpenAIModels,
  checkHealth: (target, signal) => checkHealthByListing(listOpenAIModels, target, signal),
  doGenerate: chat.doGenerate,
  doStream: chat.doStream,
  doEmbed: chat.doEmbed,
};
