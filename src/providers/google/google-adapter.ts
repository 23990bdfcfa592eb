import type { ChatAdapter } from "../chat-spec.js";
import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { generateGoogleChat } from "./generate-google-chat.js";
import { listGoogleModels } from "./list-google-models.js";
import { streamGoogleChat } from "./stream-google-chat.js";

/** Gemini API (generativelanguage.googleapis.com) with an API key. */
export const googleAdapter: ProviderAdapter & ChatAdapter = {
  specificationVersion: "v1",
  wireFormat: "google",
  listModels: listGoogleModels,
  checkHealth: (target, signal) => checkHealthByListing(listGoogleModels, target, signal),
  doGenerate: generateGoogleChat,
  doStream: streamGoogleChat,
};
