import type { ChatRequest } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";
import { maxTokensOf, readReasoningEffort } from "../read-chat-request.js";
import type { AnthropicMessage } from "./convert-to-anthropic-messages.js";
import type { AnthropicToolChoice } from "./prepare-anthropic-tools.js";

export interface AnthropicThinking {
  type: "enabled";
  budget_tokens: number;
}

/**
 * LiteLLM's budgets, so a caller moving between the two gateways reasons as much; low is the
 * smallest budget Anthropic accepts. "none" and "minimal" ask for no reasoning, which is what
 * Anthropic does unasked.
 */
const BUDGET_OF_EFFORT = { none: undefined, minimal: undefined, low: 1024, medium: 2048, high: 4096 };
const EFFORTS = Object.keys(BUDGET_OF_EFFORT) as (keyof typeof BUDGET_OF_EFFORT)[];

/** Anthropic refuses a lower top_p with thinking on (temperature may only be its default, 1). */
const THINKING_MIN_TOP_P = 0.95;

/** The body fields extended thinking decides: the thinking itself and the sampling it allows. */
export interface AnthropicThinkingSettings {
  thinking: AnthropicThinking;
  max_tokens: number;
  temperature?: number;
  top_p?: number;
}

/**
 * OpenAI's `reasoning_effort` (an extra) -> Anthropic's extended thinking, with the request fitted
 * to what Anthropic accepts alongside it; undefined when the request does not think, and the
 * caller's own max_tokens, temperature and top_p then stand as they are.
 */
export function prepareAnthropicThinking(
  request: ChatRequest,
  messages: readonly AnthropicMessage[],
  toolChoice: AnthropicToolChoice | undefined,
  defaultMaxTokens: number,
  warnings: ChatWarnings,
): AnthropicThinkingSettings | undefined {
  const effort = readReasoningEffort(request, EFFORTS, "Anthropic", warnings);
  const budget = effort === undefined ? undefined : BUDGET_OF_EFFORT[effort];
  if (budget === undefined) return undefined;
  // Anthropic refuses thinking with a forced tool call. The call is kept: a caller that forces one
  // depends on getting it, while reasoning only makes the answer better.
  if (toolChoice?.type === "any" || toolChoice?.type === "tool") {
    warnings.add(
      "reasoning_effort",
      "Anthropic cannot think when tool_choice forces a tool call; reasoning_effort was not sent",
    );
    return undefined;
  }

  // Mid tool loop, Anthropic wants the assistant turn's thinking blocks back with their signatures
  // (the caller hands them back as the message's thinking_blocks). Without them thinking on would be
  // refused with a 400, so this turn goes without it (it thinks again once an assistant answer
  // without calls closes the loop).
  if (lacksToolLoopThinking(messages)) {
    warnings.add(
      "reasoning_effort",
      "Anthropic needs the earlier turn's thinking back (the assistant message's thinking_blocks, with their signatures) to think while answering a tool result, and it had none; reasoning_effort was not sent",
    );
    return undefined;
  }

  const settings: AnthropicThinkingSettings = {
    thinking: { type: "enabled", budget_tokens: budget },
    max_tokens: thinkingMaxTokens(request, budget, defaultMaxTokens, warnings),
  };
  const { temperature, top_p } = request;
  if (temperature !== undefined && temperature !== 1) {
    warnings.add(
      "temperature",
      `Anthropic takes only temperature 1 with thinking (reasoning_effort); ${temperature} was not sent`,
    );
  } else if (temperature !== undefined) {
    settings.temperature = temperature;
  }
  if (top_p !== undefined && top_p < THINKING_MIN_TOP_P) {
    warnings.add(
      "top_p",
      `Anthropic takes top_p of ${THINKING_MIN_TOP_P} or more with thinking (reasoning_effort); ${top_p} was not sent`,
    );
  } else if (top_p !== undefined) {
    settings.top_p = top_p;
  }
  return settings;
}

/**
 * Anthropic counts thinking in max_tokens, as OpenAI counts reasoning in max_completion_tokens, so
 * a caller's cap above the budget goes as it is. One at or below the budget would be refused
 * (max_tokens must exceed budget_tokens): the budget is added, so the answer keeps the room the
 * caller gave it, and reported, since the cap sent is no longer the caller's. Without a cap the
 * default is the answer's room, as it is without thinking, and the budget comes on top of it.
 */
function thinkingMaxTokens(
  request: ChatRequest,
  budget: number,
  defaultMaxTokens: number,
  warnings: ChatWarnings,
): number {
  const asked = maxTokensOf(request);
  if (asked === undefined) return budget + defaultMaxTokens;
  if (asked > budget) return asked;
  const setting = request.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
  warnings.add(
    setting,
    `Anthropic counts thinking in max_tokens and needs more than its budget of ${budget}; ${asked} was sent as ${budget + asked}`,
  );
  return budget + asked;
}

/**
 * Whether the last assistant turn called tools without starting with its thinking, which Anthropic
 * refuses with thinking on. The turns are Anthropic's, as converted: a user message after the tool
 * results does not end the loop, since it joins them in one user turn, and the final assistant turn
 * must still start with its thinking.
 */
function lacksToolLoopThinking(messages: readonly AnthropicMessage[]): boolean {
  const last = messages.findLast((message) => message.role === "assistant");
  if (last === undefined || !last.content.some((block) => block.type === "tool_use")) return false;
  const first = last.content[0]?.type;
  return first !== "thinking" && first !== "redacted_thinking";
}
