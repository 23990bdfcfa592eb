import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { anthropicAdapter } from "../../src/providers/anthropic/anthropic-adapter.js";
import type { ChatReasoningBlock, ChatRequest, ChatToolCall } from "../../src/providers/chat-spec.js";
import { createProviderDispatchers } from "../../src/providers/dispatchers.js";
import type { ProviderTarget } from "../../src/providers/spec.js";
import { describeChatAdapterContract } from "../support/chat-adapter-contract.js";
import {
  collectParts,
  providerFailure,
  streamedReasoning,
  streamedText,
} from "../support/chat-stream-parts.js";
import { startFakeAnthropic } from "../support/fake-upstreams/anthropic.js";
import { reasoningFor } from "../support/fake-upstreams/echo-chat.js";
import type { FakeUpstream, RecordedRequest } from "../support/fake-upstreams/fake-server.js";

// Real: the adapter, undici, the guarded dispatcher (loopback allowed), sockets on 127.0.0.1.
// Fake: api.anthropic.com (test/support/fake-upstreams/anthropic.ts), which records every body.

const API_KEY = "sk-ant-api03-TestKey0123456789abcdef-XYZ";
const MODEL = "claude-sonnet-4-20250514";

describeChatAdapterContract({
  name: "anthropic",
  adapter: anthropicAdapter,
  providerType: "anthropic",
  start: startFakeAnthropic,
  apiKey: API_KEY,
  model: MODEL,
  unauthorizedStatus: 401,
  retryAfterSeconds: 12,
  // overloaded_error, sent as an SSE error event after the 200.
  streamError: { status: 529, isRetryable: true },
  toolCallId: /^toolu_[0-9a-f]{24}$/,
  textWithCall: "I will call weather.",
});

describe("anthropic wire format", () => {
  const dispatchers = createProviderDispatchers();
  let fake: FakeUpstream;
  const target = (): ProviderTarget => ({
    providerType: "anthropic",
    baseUrl: fake.url,
    apiKey: API_KEY,
    timeoutMs: 2000,
    dispatcher: dispatchers.forPolicy({ allowPrivate: true }),
  });
  const sent = (request: RecordedRequest | undefined): Record<string, unknown> =>
    JSON.parse(request!.body) as Record<string, unknown>;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: API_KEY, models: [MODEL] });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(async () => {
    await fake.close();
    await dispatchers.close();
  });

  it("POSTs /v1/messages with x-api-key and anthropic-version, system at the top, max_tokens defaulted", async () => {
    const result = await anthropicAdapter.doGenerate(target(), {
      model: MODEL,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
      stop: "STOP",
      temperature: 0.5,
    });
    expect(result.id).toMatch(/^msg_/);
    const request = fake.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/v1/messages");
    expect(request.headers["x-api-key"]).toBe(API_KEY);
    expect(request.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(sent(request)).toEqual({
      model: MODEL,
      max_tokens: 4096,
      system: [{ type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: [{ type: "text", text: "Hello there" }] }],
      temperature: 0.5,
      stop_sequences: ["STOP"],
    });
    // System words count as prompt tokens in the fake.
    expect(result.usage.prompt_tokens).toBe(4);
  });

  it("sends tools with input_schema, tool_use and tool_result blocks, and stream: true for a stream", async () => {
    const stream = await anthropicAdapter.doStream(target(), {
      model: MODEL,
      max_tokens: 300,
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
      tool_choice: "required",
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "toolu_abc",
              type: "function",
              function: { name: "weather", arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "toolu_abc", content: "-3C" },
      ],
    });
    await collectParts(stream.parts);
    expect(sent(fake.requests[0])).toEqual({
      model: MODEL,
      max_tokens: 300,
      stream: true,
      tools: [{ name: "weather", input_schema: { type: "object" } }],
      tool_choice: { type: "any" },
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_abc", name: "weather", input: { city: "Oslo" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_abc", content: "-3C" }] },
      ],
    });
    expect(fake.requests[0]!.headers.accept).toBe("text/event-stream");
  });

  it("doStream knows the message id before the first part (message_start is read first)", async () => {
    const stream = await anthropicAdapter.doStream(target(), {
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(stream.id).toMatch(/^msg_[0-9a-f]{24}$/);
    await collectParts(stream.parts);
  });

  it("reports what Anthropic cannot honour, and does not send it", async () => {
    const result = await anthropicAdapter.doGenerate(target(), {
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
      seed: 1,
      response_format: { type: "json_object" },
    });
    expect(result.warnings.map((w) => w.setting)).toEqual(["seed", "response_format"]);
    expect(fake.requests[0]!.body).not.toMatch(/seed|response_format/);
  });

  it("HTTP 529 overloaded_error -> upstream_error, retryable", async () => {
    const error = await providerFailure(
      anthropicAdapter.doGenerate(target(), {
        model: MODEL,
        messages: [{ role: "user", content: "overloaded" }],
      }),
    );
    expect(error).toMatchObject({ kind: "upstream_error", status: 529, isRetryable: true });
    expect(error.message).toContain("overloaded_error: Overloaded");
  });

  it("an overloaded_error as the first event rejects doStream itself: 529, retryable", async () => {
    const error = await providerFailure(
      anthropicAdapter.doStream(target(), {
        model: MODEL,
        messages: [{ role: "user", content: "overloaded" }],
      }),
    );
    expect(error).toMatchObject({ kind: "upstream_error", status: 529, isRetryable: true });
    expect(error.message).toContain("overloaded_error: Overloaded");
  });

  it("an unknown model is the upstream's 404, not retryable, with Anthropic's error type in the message", async () => {
    const error = await providerFailure(
      anthropicAdapter.doGenerate(target(), {
        model: "claude-nope",
        messages: [{ role: "user", content: "Hi" }],
      }),
    );
    expect(error).toMatchObject({ kind: "upstream_error", status: 404, isRetryable: false });
    expect(error.message).toContain("not_found_error: model: claude-nope");
  });

  describe("reasoning_effort -> extended thinking", () => {
    const THINK = "Please think first";
    const weather: NonNullable<ChatRequest["tools"]>[number] = {
      type: "function",
      function: { name: "weather", parameters: { type: "object" } },
    };

    it("low: thinking with a budget of 1024 under the caller's max_tokens, the reasoning kept apart", async () => {
      const result = await anthropicAdapter.doGenerate(target(), {
        model: MODEL,
        messages: [{ role: "user", content: THINK }],
        max_tokens: 2000,
        extra: { reasoning_effort: "low" },
      });
      expect(sent(fake.requests[0])).toEqual({
        model: MODEL,
        max_tokens: 2000,
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [{ role: "user", content: [{ type: "text", text: THINK }] }],
      });
      expect(result).toMatchObject({ reasoning: reasoningFor(THINK), text: `echo: ${THINK}`, warnings: [] });
    });

    it("high, streamed: a max_tokens under the budget of 4096 is raised by it, with a warning", async () => {
      const stream = await anthropicAdapter.doStream(target(), {
        model: MODEL,
        messages: [{ role: "user", content: THINK }],
        max_tokens: 300,
        extra: { reasoning_effort: "high" },
      });
      const parts = await collectParts(stream.parts);
      expect(sent(fake.requests[0])).toEqual({
        model: MODEL,
        max_tokens: 4396,
        thinking: { type: "enabled", budget_tokens: 4096 },
        messages: [{ role: "user", content: [{ type: "text", text: THINK }] }],
        stream: true,
      });
      expect(stream.warnings.map((w) => w.setting)).toEqual(["max_tokens"]);
      expect(streamedReasoning(parts)).toBe(reasoningFor(THINK));
      expect(streamedText(parts)).toBe(`echo: ${THINK}`);
    });

    it("without reasoning_effort nothing asks for thinking, and none comes back", async () => {
      const result = await anthropicAdapter.doGenerate(target(), {
        model: MODEL,
        messages: [{ role: "user", content: THINK }],
      });
      expect(sent(fake.requests[0])).not.toHaveProperty("thinking");
      expect(sent(fake.requests[0]).max_tokens).toBe(4096);
      expect(result).not.toHaveProperty("reasoning");
      expect(result.warnings).toEqual([]);
    });

    it("a temperature Anthropic refuses with thinking is not sent, with a warning; the answer still thinks", async () => {
      const result = await anthropicAdapter.doGenerate(target(), {
        model: MODEL,
        messages: [{ role: "user", content: THINK }],
        temperature: 0.3,
        extra: { reasoning_effort: "medium" },
      });
      expect(sent(fake.requests[0])).toMatchObject({ thinking: { budget_tokens: 2048 }, max_tokens: 6144 });
      expect(sent(fake.requests[0])).not.toHaveProperty("temperature");
      expect(result.warnings).toEqual([
        { setting: "temperature", message: expect.stringContaining("temperature 1 with thinking") as string },
      ]);
      expect(result.reasoning).toBe(reasoningFor(THINK));
    });

    it("a forced tool call is kept and thinking left out, reported, rather than refused by Anthropic", async () => {
      const result = await anthropicAdapter.doGenerate(target(), {
        model: MODEL,
        messages: [{ role: "user", content: `${THINK} and call tool` }],
        tools: [weather],
        tool_choice: "required",
        extra: { reasoning_effort: "low" },
      });
      expect(sent(fake.requests[0])).toMatchObject({ tool_choice: { type: "any" }, max_tokens: 4096 });
      expect(sent(fake.requests[0])).not.toHaveProperty("thinking");
      expect(result.warnings.map((w) => w.setting)).toEqual(["reasoning_effort"]);
      expect(result.toolCalls).toHaveLength(1);
    });

    it("a redacted_thinking block has nothing to read: left out of the reasoning, kept whole as a block, stream and not", async () => {
      const text = `${THINK}, with redacted thinking`;
      const request: ChatRequest = {
        model: MODEL,
        messages: [{ role: "user", content: text }],
        extra: { reasoning_effort: "low" },
      };
      const result = await anthropicAdapter.doGenerate(target(), request);
      expect(result).toMatchObject({ reasoning: reasoningFor(text), text: `echo: ${text}`, warnings: [] });
      expect(result.reasoningBlocks).toEqual([
        { type: "redacted-reasoning", data: expect.any(String) as string },
        { type: "reasoning", text: reasoningFor(text), signature: expect.any(String) as string },
      ]);

      const parts = await collectParts((await anthropicAdapter.doStream(target(), request)).parts);
      expect(streamedReasoning(parts)).toBe(reasoningFor(text));
      expect(streamedText(parts)).toBe(`echo: ${text}`);
      expect(parts[0]).toEqual(result.reasoningBlocks![0]);
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
    });

    it("thinks and calls a tool in one answer: reasoning, text and the call, stream and not", async () => {
      const request: ChatRequest = {
        model: MODEL,
        messages: [{ role: "user", content: `${THINK} and call tool` }],
        tools: [weather],
        extra: { reasoning_effort: "low" },
      };
      const result = await anthropicAdapter.doGenerate(target(), request);
      expect(result).toMatchObject({
        reasoning: reasoningFor(`${THINK} and call tool`),
        text: "I will call weather.",
        toolCalls: [
          {
            type: "function",
            function: { name: "weather", arguments: JSON.stringify({ text: `${THINK} and call tool` }) },
          },
        ],
        finishReason: "tool_calls",
        warnings: [],
      });

      const parts = await collectParts((await anthropicAdapter.doStream(target(), request)).parts);
      expect(streamedReasoning(parts)).toBe(reasoningFor(`${THINK} and call tool`));
      const kinds = parts.map((p) => p.type).filter((type, i, all) => type !== all[i - 1]);
      expect(kinds).toEqual([
        "reasoning-delta",
        "reasoning-signature",
        "text-delta",
        "tool-call-delta",
        "finish",
      ]);
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "tool_calls" });
    });

    describe("a tool loop: the tool result goes back with the turn's thinking", () => {
      const ASK = `${THINK} and call tool`;
      // The tool result asks the fake to think again, so an answer that reasons shows thinking was on.
      const RESULT = "Sunny. Think first, then answer.";
      const request: ChatRequest = {
        model: MODEL,
        messages: [{ role: "user", content: ASK }],
        tools: [weather],
        extra: { reasoning_effort: "low" },
      };
      const answering = (
        turn: { text: string | null; call: ChatToolCall },
        reasoningBlocks?: ChatReasoningBlock[],
      ): ChatRequest => ({
        ...request,
        messages: [
          ...request.messages,
          {
            role: "assistant",
            content: turn.text,
            tool_calls: [turn.call],
            ...(reasoningBlocks !== undefined ? { reasoningBlocks } : {}),
          },
          { role: "tool", tool_call_id: turn.call.id, content: RESULT },
        ],
      });
      const assistantTurn = (request: RecordedRequest | undefined) =>
        (sent(request).messages as { role: string; content: { type: string }[] }[])[1]!;

      it("with the blocks of the answer, signed, the loop goes on thinking: they lead the turn as they came", async () => {
        const first = await anthropicAdapter.doGenerate(target(), request);
        const blocks = first.reasoningBlocks!;
        expect(blocks).toEqual([
          { type: "reasoning", text: reasoningFor(ASK), signature: expect.any(String) as string },
        ]);

        const answer = await anthropicAdapter.doGenerate(
          target(),
          answering({ text: first.text, call: first.toolCalls[0]! }, blocks),
        );
        // The fake checks each signature against its thinking, as Anthropic does: a changed byte is a 400.
        expect(answer).toMatchObject({
          text: `echo: ${RESULT}`,
          reasoning: reasoningFor(RESULT),
          warnings: [],
        });
        expect(sent(fake.requests.at(-1)).thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
        expect(assistantTurn(fake.requests.at(-1)).content).toEqual([
          {
            type: "thinking",
            thinking: reasoningFor(ASK),
            signature: (blocks[0] as { signature: string }).signature,
          },
          { type: "text", text: "I will call weather." },
          { type: "tool_use", id: first.toolCalls[0]!.id, name: "weather", input: { text: ASK } },
        ]);
      });

      it("with the blocks rebuilt from a stream (signed pieces, then their signature), streamed again", async () => {
        const parts = await collectParts((await anthropicAdapter.doStream(target(), request)).parts);
        let thinking = "";
        const blocks: ChatReasoningBlock[] = [];
        for (const part of parts) {
          if (part.type === "reasoning-delta" && part.signed === true) thinking += part.delta;
          if (part.type === "reasoning-signature") {
            blocks.push({ type: "reasoning", text: thinking, signature: part.signature });
            thinking = "";
          }
        }
        const call = parts.find((p) => p.type === "tool-call-delta" && p.id !== undefined);
        if (call?.type !== "tool-call-delta") throw new Error("no tool call");
        const stream = await anthropicAdapter.doStream(
          target(),
          answering(
            {
              text: streamedText(parts),
              call: {
                id: call.id!,
                type: "function",
                function: { name: call.name!, arguments: JSON.stringify({ text: ASK }) },
              },
            },
            blocks,
          ),
        );
        const answer = await collectParts(stream.parts);
        expect(stream.warnings).toEqual([]);
        expect(streamedReasoning(answer)).toBe(reasoningFor(RESULT));
        expect(assistantTurn(fake.requests.at(-1)).content[0]).toEqual({
          type: "thinking",
          thinking: reasoningFor(ASK),
          signature: (blocks[0] as { signature: string }).signature,
        });
      });

      it("a signature changed by one byte is Anthropic's 400 (the fake checks them)", async () => {
        const first = await anthropicAdapter.doGenerate(target(), request);
        const block = first.reasoningBlocks![0] as { type: "reasoning"; text: string; signature: string };
        const changed = `${block.signature.slice(0, 10)}${block.signature[10] === "A" ? "B" : "A"}${block.signature.slice(11)}`;
        const error = await providerFailure(
          anthropicAdapter.doGenerate(
            target(),
            answering({ text: first.text, call: first.toolCalls[0]! }, [{ ...block, signature: changed }]),
          ),
        );
        expect(error).toMatchObject({ status: 400 });
        expect(error.message).toContain("Invalid `signature` in `thinking` block");
      });

      it("without the blocks, that turn goes without thinking, with a warning, rather than be refused", async () => {
        const first = await anthropicAdapter.doGenerate(target(), request);
        const answer = await anthropicAdapter.doGenerate(
          target(),
          answering({ text: first.text, call: first.toolCalls[0]! }),
        );
        expect(answer.text).toBe(`echo: ${RESULT}`);
        expect(answer.reasoning).toBeUndefined();
        expect(answer.warnings).toEqual([
          { setting: "reasoning_effort", message: expect.stringContaining("thinking_blocks") as string },
        ]);
        expect(sent(fake.requests.at(-1))).not.toHaveProperty("thinking");
      });
    });
  });
});
