import { describe, expect, it } from "vitest";
import { mapAnthropicUsage } from "../../src/providers/anthropic/map-anthropic-usage.js";
import { mapGoogleUsage } from "../../src/providers/google/map-google-usage.js";
import { parseOllamaResponse } from "../../src/providers/ollama/parse-ollama-response.js";
import { parseOpenAIUsage } from "../../src/providers/openai/parse-openai-chunk.js";
import { chatUsage, MAX_TOKEN_COUNT, readTokenCount } from "../../src/providers/token-count.js";

// A token count is billed, rate-limited and stored in a 32-bit column: whatever an upstream sends,
// what comes out is a whole number from 0 to 2^31-1, and an odd count never fails the answer.

describe("readTokenCount", () => {
  it.each([
    [12, 12],
    [0, 0],
    [2.9, 2],
    [-100, 0],
    [-0.5, 0],
    [1e300, MAX_TOKEN_COUNT],
    [Infinity, MAX_TOKEN_COUNT],
    [-Infinity, 0],
    [NaN, 0],
    [MAX_TOKEN_COUNT, MAX_TOKEN_COUNT],
    [MAX_TOKEN_COUNT + 1, MAX_TOKEN_COUNT],
    [null, 0],
    [undefined, 0],
    ["12", 0],
    [true, 0],
    [{}, 0],
  ])("%s -> %s", (value, expected) => {
    expect(readTokenCount(value)).toBe(expected);
  });

  it("a total the upstream left out (or sent as null) is the sum, kept within the maximum", () => {
    expect(chatUsage(2, 3)).toEqual({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
    expect(chatUsage(2, 3, null).total_tokens).toBe(5);
    expect(chatUsage(MAX_TOKEN_COUNT, MAX_TOKEN_COUNT).total_tokens).toBe(MAX_TOKEN_COUNT);
    expect(chatUsage(2, 3, -7).total_tokens).toBe(0);
  });
});

describe("every wire format's usage reads its counts the same way", () => {
  const odd = { negative: -100, fraction: 7.8, huge: 1e300 };

  it("OpenAI", () => {
    expect(
      parseOpenAIUsage({
        prompt_tokens: odd.negative,
        completion_tokens: odd.fraction,
        total_tokens: odd.huge,
      }),
    ).toEqual({ prompt_tokens: 0, completion_tokens: 7, total_tokens: MAX_TOKEN_COUNT });
  });

  it("Anthropic: the cache counts added to the prompt stay within the maximum", () => {
    expect(
      mapAnthropicUsage({
        input_tokens: odd.negative,
        output_tokens: odd.fraction,
        cache_read_input_tokens: odd.huge,
        cache_creation_input_tokens: 5,
      }),
    ).toEqual({ prompt_tokens: MAX_TOKEN_COUNT, completion_tokens: 7, total_tokens: MAX_TOKEN_COUNT });
  });

  it("Gemini: thinking tokens added to the candidates' stay within the maximum", () => {
    expect(
      mapGoogleUsage({
        promptTokenCount: odd.fraction,
        candidatesTokenCount: odd.huge,
        thoughtsTokenCount: 9,
      }),
    ).toEqual({ prompt_tokens: 7, completion_tokens: MAX_TOKEN_COUNT, total_tokens: MAX_TOKEN_COUNT });
  });

  it("Ollama: a null count is 0, not a failed answer", () => {
    const result = parseOllamaResponse(
      {
        message: { content: "hi" },
        done: true,
        done_reason: "stop",
        prompt_eval_count: null,
        eval_count: odd.negative,
      },
      "localhost:11434/api/chat",
    );
    expect(result.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(result.text).toBe("hi");
  });
});
