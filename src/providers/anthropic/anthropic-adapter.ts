import type { ChatAdapter } from "../chat-spec.js";
import { checkHealthByListing } from "../check-health-by-listing.js";
import type { ProviderAdapter } from "../spec.js";
import { generateAnthropicChat } from "./generate-anthropic-chat.js";
import { listAnthropicModels } from "./list-anthropic-models.js";
import { streamAnthropicChat } from "./stream-anthropic-chat.js";

export const anthropicAdapter: ProviderAdapter & ChatAdapter = {
  specificationVersion: "v1",
  wireFormat: "anthropic",
  listModels: listAnthropicModels,
  checkHealth: (target, signal) => checkHealthByListing(listAnthropicModels, target, signal),
  doGenerate: generateAnthropicChat,
  doStream: streamAnthropicChat,
};
