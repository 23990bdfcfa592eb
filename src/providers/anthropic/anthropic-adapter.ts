import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { listAnthropicModels } from "./list-anthropic-models.js";

export const anthropicAdapter: ProviderAdapter = {
  specificationVersion: "v1",
  wireFormat: "anthropic",
  listModels: listAnthropicModels,
  checkHealth: (target, signal) => checkHealthByListing(listAnthropicModels, target, signal),
};
