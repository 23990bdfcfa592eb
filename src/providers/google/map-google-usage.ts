import type { ChatUsage } from "../chat-spec.js";

export interface GoogleUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

/**
 * Gemini's usageMetadata -> OpenAI's usage. Thinking tokens are counted apart from the candidates'
 * but billed as output, and OpenAI counts reasoning in completion_tokens, so they are added there.
 */
export function mapGoogleUsage(usage: GoogleUsageMetadata | undefined): ChatUsage {
  const prompt = usage?.promptTokenCount ?? 0;
  const completion = (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.totalTokenCount ?? prompt + completion,
  };
}
