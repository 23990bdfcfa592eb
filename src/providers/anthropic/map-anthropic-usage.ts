import type { ChatUsage } from "../chat-spec.js";

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/**
 * Anthropic's usage -> OpenAI's. Anthropic's input_tokens leaves out the tokens written to and read
 * from the prompt cache; OpenAI's prompt_tokens counts every prompt token, so they are added back.
 */
export function mapAnthropicUsage(usage: AnthropicUsage): ChatUsage {
  const prompt =
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0);
  const completion = usage.output_tokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
