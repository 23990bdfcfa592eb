import type { ChatRequest } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";
import { readReasoningEffort } from "../read-chat-request.js";

/** `generationConfig.thinkingConfig` of a generateContent body. */
export interface GoogleThinkingConfig {
  /** Whether thought summaries come back as parts with `thought: true`. */
  includeThoughts?: boolean;
  /** The most tokens the model may think with; 0 turns thinking off. */
  thinkingBudget: number;
}

/**
 * The budgets Google's own OpenAI-compatible endpoint gives OpenAI's efforts ("low", "medium" and
 * "high" are 1K, 8K and 24K thinking tokens: ai.google.dev/gemini-api/docs/openai), so a caller
 * moving between that endpoint and this gateway gets the same thinking. 24576 is also the most
 * Gemini 2.5 Flash accepts. "none" is a budget of 0, how Google documents turning thinking off.
 */
const THINKING_BUDGETS = { none: 0, low: 1024, medium: 8192, high: 24576 } as const;
const EFFORTS = Object.keys(THINKING_BUDGETS) as (keyof typeof THINKING_BUDGETS)[];

/**
 * OpenAI's `reasoning_effort` -> Gemini's thinkingConfig. An effort asks for thought summaries too,
 * since a caller who sets one reads `reasoning_content`; "none" has no summaries to ask for. Other
 * values have no budget Google documents (see readReasoningEffort). Undefined when there is
 * nothing to send.
 */
export function mapGoogleReasoningEffort(
  request: ChatRequest,
  warnings: ChatWarnings,
): GoogleThinkingConfig | undefined {
  const effort = readReasoningEffort(request, EFFORTS, "Gemini", warnings);
  if (effort === undefined) return undefined;
  if (effort === "none") return { thinkingBudget: 0 };
  return { includeThoughts: true, thinkingBudget: THINKING_BUDGETS[effort] };
}
