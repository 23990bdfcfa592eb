import type { ChatAdapter } from "../chat-spec.js";
import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { generateOllamaChat } from "./generate-ollama-chat.js";
import { listOllamaModels } from "./list-ollama-models.js";
import { streamOllamaChat } from "./stream-ollama-chat.js";

export const ollamaAdapter: ProviderAdapter & ChatAdapter = {
  specificationVersion: "v1",
  wireFormat: "ollama",
  listModels: listOllamaModels,
  checkHealth: (target, signal) => checkHealthByListing(listOllamaModels, target, signal),
  doGenerate: generateOllamaChat,
  doStream: streamOllamaChat,
};
