import type { ChatRequest } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";

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
 * Gemini 2.5 Flash accepts.
 */
const THINKING_BUDGETS: Readonly<Record<string, number>> = { low: 1024, medium: 8192, high: 24576 };

/**
 * OpenAI's `reasoning_effort` (an extra) -> Gemini's thinkingConfig. An effort asks for thought
 * summaries too, since a caller who sets one reads `reasoning_content`; "none" is a budget of 0 (how
 * Google documents turning thinking off), with no summaries to ask for. Any other value has no
 * budget Google documents, so it is reported and nothing is sent (the model then thinks as it
 * would unasked). Undefined when there is nothing to send.
 */
export function mapGoogleReasoningEffort(
  request: ChatRequest,
  warnings: ChatWarnings,
): GoogleThinkingConfig | undefined {
  const effort = request.extra?.reasoning_effort;
  if (effort === undefined || effort === null) return undefined;
  if (effort === "none") return { thinkingBudget: 0 };
  const budget =
    typeof effort === "string" && Object.hasOwn(THINKING_BUDGETS, effort)
      ? THINKING_BUDGETS[effort]
      : undefined;
  if (budget === undefined) {
    warnings.add(
      "reasoning_effort",
      `Gemini has no thinking budget for reasoning_effort ${JSON.stringify(effort)} (none, low, medium or high); it was not sent`,
    );
    return undefined;
  }
  return { includeThoughts: true, thinkingBudget: budget };
}
