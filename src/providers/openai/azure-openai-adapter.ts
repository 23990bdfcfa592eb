import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { listAzureOpenAIModels } from "./list-azure-openai-models.js";

/** azure-openai: OpenAI's wire format behind Azure's paths, api-version and `api-key`. */
export const azureOpenAIAdapter: ProviderAdapter = {
  specificationVersion: "v1",
  wireFormat: "openai",
  listModels: listAzureOpenAIModels,
  checkHealth: (target, signal) => checkHealthByListing(listAzureOpenAIModels, target, signal),
};
