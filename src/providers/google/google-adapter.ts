import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { listGoogleModels } from "./list-google-models.js";

/** Gemini API (generativelanguage.googleapis.com) with an API key. */
export const googleAdapter: ProviderAdapter = {
  specificationVersion: "v1",
  wireFormat: "google",
  listModels: listGoogleModels,
  checkHealth: (target, signal) => checkHealthByListing(listGoogleModels, target, signal),
};
