import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { listOllamaModels } from "./list-ollama-models.js";

export const ollamaAdapter: ProviderAdapter = {
  specificationVersion: "v1",
  wireFormat: "ollama",
  listModels: listOllamaModels,
  checkHealth: (target, signal) => checkHealthByListing(listOllamaModels, target, signal),
};
