import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { listOpenAIModels } from "./list-openai-models.js";

/** openai, openai-compatible, deepseek and litellm. */
export const openaiAdapter: ProviderAdapter = {
  specificationVersion: "v1",
  wireFormat: "openai",
  listModels: listOpenAIModels,
  checkHealth: (target, signal) => checkHealthByListing(listOpenAIModels, target, signal),
};
