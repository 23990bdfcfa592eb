import type { ChatUsage } from "./chat-spec.js";

/**
 * The largest count kept: usage_records' token columns are 32-bit on every dialect, and no real
 * answer comes near it. A bigger number from an upstream is a broken upstream, not a bill.
 */
export const MAX_TOKEN_COUNT = 2 ** 31 - 1;

/**
 * A token count as an upstream sent it, made safe to bill, rate-limit and store: a whole number
 * from 0 to MAX_TOKEN_COUNT. Anything else (absent, null, a string, negative, NaN) counts 0 and a
 * fraction is rounded down, so a wrong upstream never fails an answer that was otherwise whole.
 */
export function readTokenCount(value: unknown): number {
  if (typeof value !== "number" || !(value > 0)) return 0;
  return value >= MAX_TOKEN_COUNT ? MAX_TOKEN_COUNT : Math.floor(value);
}

/** Several counts an upstream reports apart (cached and uncached input, thinking and answer) as one. */
export function sumTokenCounts(...values: unknown[]): number {
  let sum = 0;
  for (const value of values) sum += readTokenCount(value);
  return Math.min(sum, MAX_TOKEN_COUNT);
}

/**
 * OpenAI's usage from counts already read: the total is the upstream's when it sent one, else the
 * sum, and kept within MAX_TOKEN_COUNT either way.
 */
export function chatUsage(prompt: number, completion: number, total?: unknown): ChatUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens:
      total === undefined || total === null
        ? Math.min(prompt + completion, MAX_TOKEN_COUNT)
        : readTokenCount(total),
  };
}
