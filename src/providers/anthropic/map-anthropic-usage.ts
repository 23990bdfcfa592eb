import type { ChatUsage } from "../chat-spec.js";
import { chatUsage, readTokenCount, sumTokenCounts } from "../token-count.js";

export interface AnthropicUsage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
  cache_read_input_tokens?: unknown;
}

/**
 * Anthropic's usage -> OpenAI's. Anthropic's input_tokens leaves out the tokens written to and read
 * from the prompt cache; OpenAI's prompt_tokens counts every prompt token, so they are added back.
 */
export function mapAnthropicUsage(usage: AnthropicUsage): ChatUsage {
  const prompt = sumTokenCounts(
    usage.input_tokens,
    usage.cache_creation_input_tokens,
    usage.cache_read_input_tokens,
  );
  return chatUsage(prompt, readTokenCount(usage.output_tokens));
}
