import { checkHealthByListing } from "../check-health-by-listing.js";
import { joinUrl } from "../http.js";
import type { ProviderAdapter, ProviderTarget } from "../spec.js";
import { azureOpenAIHeaders } from "./azure-openai-headers.js";
import { AZURE_DEFAULT_API_VERSION, listAzureOpenAIModels } from "./list-azure-openai-models.js";
import { createOpenAIChatAdapter, type OpenAIChatAdapter } from "./openai-chat-adapter.js";

/**
 * `{base}/openai/deployments/{deployment}/{operation}?api-version=...`: the deployment is the
 * connection's when it names one, else the request's model (which is then the deployment name).
 * A base that already ends in `/openai` is not doubled.
 */
function deploymentUrl(target: ProviderTarget, model: string, operation: string): string {
  const prefix = /\/openai\/*$/.test(new URL(target.baseUrl).pathname) ? "" : "openai/";
  const deployment = target.azure?.deployment || model;
  return joinUrl(target.baseUrl, `${prefix}deployments/${encodeURIComponent(deployment)}/${operation}`, {
    "api-version": target.azure?.apiVersion || AZURE_DEFAULT_API_VERSION,
  });
}

const chat = createOpenAIChatAdapter({
  chatCompletionsUrl: (target, model) => deploymentUrl(target, model, "chat/completions"),
  embeddingsUrl: (target, model) => deploymentUrl(target, model, "embeddings"),
  headers: azureOpenAIHeaders,
});

/** azure-openai: OpenAI's wire format behind Azure's paths, api-version and `api-key`. */
export const azureOpenAIAdapter: ProviderAdapter & OpenAIChatAdapter = {
  specificationVersion: "v1",
  wireFormat: "openai",
  listModels: listAzureOpenAIModels,
  checkHealth: (target, signal) => checkHealthByListing(listAzureOpenAIModels, target, signal),
  doGenerate: chat.doGenerate,
  doStream: chat.doStream,
  doEmbed: chat.doEmbed,
};
