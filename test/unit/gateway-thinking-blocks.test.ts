import { describe, expect, it } from "vitest";
import { toThinkingBlocks, withReasoningBlocks } from "../../src/gateway/thinking-blocks.js";
import { parseInput } from "../../src/domain/validate.js";
import { ChatCompletionRequest } from "../../src/gateway/openai-request.schemas.js";
import { AppError } from "../../src/domain/errors.js";

// Pure functions and the request schema; nothing to fake.

const signature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk+/==";

describe("LiteLLM's thinking_blocks on a request", () => {
  const parse = (message: Record<string, unknown>) =>
    parseInput(ChatCompletionRequest, { model: "m", messages: [message] }, { anyText: true });
  const refused = (message: Record<string, unknown>): string => {
    try {
      parse(message);
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      return (error as AppError).message;
    }
    throw new Error("accepted");
  };

  it("are checked on an assistant message: thinking with an optional signature, redacted with its data", () => {
    const message = {
      role: "assistant",
      content: null,
      thinking_blocks: [
        { type: "thinking", thinking: "hmm", signature },
        { type: "thinking", thinking: "no signature" },
        { type: "thinking", thinking: "null signature", signature: null },
        // LiteLLM's blocks may carry cache_control, which is let through and not sent.
        { type: "redacted_thinking", data: "EmwKAhgB", cache_control: { type: "ephemeral" } },
      ],
    };
    expect(() => parse(message)).not.toThrow();
    expect(() => parse({ role: "assistant", content: "x", thinking_blocks: null })).not.toThrow();
    expect(refused({ role: "assistant", content: "x", thinking_blocks: [{ type: "thinking" }] })).toMatch(
      /^\/messages\/0\/thinking_blocks\/0/,
    );
    expect(
      refused({ role: "assistant", content: "x", thinking_blocks: [{ type: "redacted_thinking", data: 1 }] }),
    ).toMatch(/^\/messages\/0\/thinking_blocks\/0/);
    expect(refused({ role: "assistant", content: "x", thinking_blocks: "hmm" })).toMatch(
      /^\/messages\/0\/thinking_blocks/,
    );
  });

  it("are bounded: at most 256 blocks, each text at most 4,000,000 characters", () => {
    const block = { type: "redacted_thinking", data: "x" };
    expect(() =>
      parse({ role: "assistant", content: "x", thinking_blocks: Array.from({ length: 256 }, () => block) }),
    ).not.toThrow();
    expect(
      refused({ role: "assistant", content: "x", thinking_blocks: Array.from({ length: 257 }, () => block) }),
    ).toMatch(/^\/messages\/0\/thinking_blocks/);
    expect(
      refused({
        role: "assistant",
        content: "x",
        thinking_blocks: [{ type: "thinking", thinking: "x".repeat(4_000_001), signature }],
      }),
    ).toMatch(/^\/messages\/0\/thinking_blocks\/0\/thinking/);
  });

  it("become the message's reasoning blocks, signatures byte for byte; null and empty are none", () => {
    const user = { role: "user" as const, content: "hi" };
    const messages = [
      user,
      {
        role: "assistant" as const,
        content: null,
        thinking_blocks: [
          { type: "redacted_thinking" as const, data: "EmwKAhgB" },
          { type: "thinking" as const, thinking: "hmm", signature },
          { type: "thinking" as const, thinking: "unsigned", signature: null },
        ],
      },
      { role: "assistant" as const, content: "a", thinking_blocks: null },
      { role: "assistant" as const, content: "b", thinking_blocks: [] },
    ];
    const out = withReasoningBlocks(messages);
    expect(out).toEqual([
      user,
      {
        role: "assistant",
        content: null,
        reasoningBlocks: [
          { type: "redacted-reasoning", data: "EmwKAhgB" },
          { type: "reasoning", text: "hmm", signature },
          { type: "reasoning", text: "unsigned" },
        ],
      },
      { role: "assistant", content: "a" },
      { role: "assistant", content: "b" },
    ]);
    expect(out[0]).toBe(user);
    // The caller's body is not changed.
    expect(messages[1]).toHaveProperty("thinking_blocks");
  });

  it("leaves the messages array as it is when no message has them (every call goes through here)", () => {
    const messages = [
      { role: "user" as const, content: "hi" },
      { role: "assistant" as const, content: "hello" },
    ];
    expect(withReasoningBlocks(messages)).toBe(messages);
  });
});

describe("reasoning blocks on an answer", () => {
  it("are LiteLLM's thinking_blocks, in order; a signature is left out only when there was none", () => {
    expect(
      toThinkingBlocks([
        { type: "reasoning", text: "a", signature },
        { type: "redacted-reasoning", data: "EmwKAhgB" },
        { type: "reasoning", text: "b" },
      ]),
    ).toEqual([
      { type: "thinking", thinking: "a", signature },
      { type: "redacted_thinking", data: "EmwKAhgB" },
      { type: "thinking", thinking: "b" },
    ]);
  });
});
