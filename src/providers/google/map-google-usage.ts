import type { ChatUsage } from "../chat-spec.js";
import { chatUsage, readTokenCount, sumTokenCounts } from "../token-count.js";

export interface GoogleUsageMetadata {
  promptTokenCount?: unknown;
  candidatesTokenCount?: unknown;
  thoughtsTokenCount?: unknown;
  totalTokenCount?: unknown;
}

/**
 * Gemini's usageMetadata -> OpenAI's usage. Thinking tokens are counted apart from the candidates'
 * but billed as output, and OpenAI counts reasoning in completion_tokens, so they are added there.
 */
export function mapGoogleUsage(usage: GoogleUsageMetadata | undefined): ChatUsage {
  const prompt = readTokenCount(usage?.promptTokenCount);
  const completion = sumTokenCounts(usage?.candidatesTokenCount, usage?.thoughtsTokenCount);
  return chatUsage(prompt, completion, usage?.totalTokenCount);
}
