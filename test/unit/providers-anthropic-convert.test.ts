import { describe, expect, it } from "vitest";
import { readAnthropicError } from "../../src/providers/anthropic/anthropic-error.js";
import {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  convertToAnthropicRequest,
} from "../../src/providers/anthropic/convert-to-anthropic-request.js";
import { mapAnthropicStopReason } from "../../src/providers/anthropic/map-anthropic-stop-reason.js";
import { parseAnthropicResponse } from "../../src/providers/anthropic/parse-anthropic-response.js";
import { AnthropicStreamParser } from "../../src/providers/anthropic/parse-anthropic-stream.js";
import type { ChatReasoningBlock, ChatRequest, ChatStreamPart } from "../../src/providers/chat-spec.js";
import { ProviderError } from "../../src/providers/errors.js";
import type { SseEvent } from "../../src/providers/sse.js";

// Pure functions; nothing to fake.

const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

function convert(request: Partial<ChatRequest>, stream = false) {
  return convertToAnthropicRequest(
    { model: "claude-sonnet-4-20250514", messages: [], ...request },
    { stream },
  );
}

function settings(warnings: { setting: string }[]): string[] {
  return warnings.map((w) => w.setting);
}

describe("convertToAnthropicRequest: messages", () => {
  it("puts system and developer messages in the top-level system, in order, and not in messages", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
        { role: "user", content: "Hello" },
      ],
    });
    expect(body.system).toEqual([
      { type: "text", text: "Be brief." },
      { type: "text", text: "Answer in French." },
    ]);
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hello" }] }]);
    expect(warnings).toEqual([]);
  });

  it("hoists a system message met mid-conversation, with a warning", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
        { role: "system", content: "Now be formal." },
        { role: "user", content: "How are you?" },
      ],
    });
    expect(body.system).toEqual([{ type: "text", text: "Now be formal." }]);
    expect(body.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(settings(warnings)).toEqual(["messages"]);
  });

  it("keeps multi-turn user/assistant turns and leaves out empty text", () => {
    const { body } = convert({
      messages: [
        { role: "user", content: "one" },
        { role: "assistant", content: "two" },
        {
          role: "user",
          content: [
            { type: "text", text: "" },
            { type: "text", text: "three" },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "one" }] },
      { role: "assistant", content: [{ type: "text", text: "two" }] },
      { role: "user", content: [{ type: "text", text: "three" }] },
    ]);
  });

  it("turns assistant tool_calls into tool_use blocks and tool messages into tool_result blocks of one user turn", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "toolu_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "toolu_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "18C" },
        { role: "tool", tool_call_id: "toolu_2", content: [{ type: "text", text: "24C" }] },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "weather", input: { city: "Rome" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: "24C" },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it("sends {} for tool call arguments that are not a JSON object, with a warning", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "{broken" } }],
        },
        { role: "tool", tool_call_id: "t1", content: "ok" },
      ],
    });
    expect(body.messages[1]!.content).toEqual([{ type: "tool_use", id: "t1", name: "f", input: {} }]);
    expect(settings(warnings)).toEqual(["messages[].tool_calls"]);
  });

  it("sends data: images as base64 blocks and https images as url sources; detail is reported", () => {
    const { body, warnings } = convert({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
          ],
        },
      ],
    });
    expect(body.messages[0]!.content).toEqual([
      { type: "text", text: "Compare" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_BASE64 } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
    expect(settings(warnings)).toEqual(["image_url.detail"]);
  });

  it("reports message names, once", () => {
    const { warnings } = convert({
      messages: [
        { role: "user", content: "a", name: "alice" },
        { role: "user", content: "b", name: "bob" },
      ],
    });
    expect(settings(warnings)).toEqual(["messages[].name"]);
  });
});

describe("convertToAnthropicRequest: settings", () => {
  const messages: ChatRequest["messages"] = [{ role: "user", content: "Hi" }];

  it(`defaults max_tokens to ${ANTHROPIC_DEFAULT_MAX_TOKENS}; max_completion_tokens wins over max_tokens`, () => {
    expect(convert({ messages }).body.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(convert({ messages, max_tokens: 100 }).body.max_tokens).toBe(100);
    expect(convert({ messages, max_tokens: 100, max_completion_tokens: 50 }).body.max_tokens).toBe(50);
  });

  it("maps stop (a string or a list) to stop_sequences, and passes temperature and top_p", () => {
    expect(convert({ messages, stop: "END" }).body.stop_sequences).toEqual(["END"]);
    const { body, warnings } = convert({ messages, stop: ["a", "b"], temperature: 0.2, top_p: 0.9 });
    expect(body).toMatchObject({ stop_sequences: ["a", "b"], temperature: 0.2, top_p: 0.9 });
    expect(warnings).toEqual([]);
  });

  it("caps temperature at 1 (OpenAI allows 2), with a warning", () => {
    const { body, warnings } = convert({ messages, temperature: 1.5 });
    expect(body.temperature).toBe(1);
    expect(settings(warnings)).toEqual(["temperature"]);
  });

  it("reports seed, penalties and JSON response formats, and sends none of them", () => {
    const { body, warnings } = convert({
      messages,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      response_format: { type: "json_object" },
    });
    expect(settings(warnings)).toEqual(["seed", "presence_penalty", "frequency_penalty", "response_format"]);
    expect(JSON.stringify(body)).not.toMatch(/seed|penalty|response_format|json/);
  });

  it("does not report settings that ask for the default", () => {
    const { warnings } = convert({
      messages,
      presence_penalty: 0,
      frequency_penalty: 0,
      response_format: { type: "text" },
      extra: { n: 1, logprobs: false, stream_options: null },
    });
    expect(warnings).toEqual([]);
  });

  it("sends user as metadata.user_id and reports extras it has no field for", () => {
    const { body, warnings } = convert({
      messages,
      user: "user-42",
      extra: { logit_bias: { "50256": -100 } },
    });
    expect(body.metadata).toEqual({ user_id: "user-42" });
    expect(warnings).toEqual([
      { setting: "logit_bias", message: expect.stringContaining("Anthropic") as string },
    ]);
  });

  it("sets stream only for a stream", () => {
    expect(convert({ messages }).body.stream).toBeUndefined();
    expect(convert({ messages }, true).body.stream).toBe(true);
  });
});

describe("convertToAnthropicRequest: tools", () => {
  const messages: ChatRequest["messages"] = [{ role: "user", content: "Hi" }];
  const tools: ChatRequest["tools"] = [
    {
      type: "function",
      function: {
        name: "weather",
        description: "Current weather",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    },
    { type: "function", function: { name: "now" } },
  ];

  it("sends parameters as input_schema, an empty object schema when a tool has none", () => {
    const { body } = convert({ messages, tools });
    expect(body.tools).toEqual([
      {
        name: "weather",
        description: "Current weather",
        input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
      { name: "now", input_schema: { type: "object", properties: {} } },
    ]);
    expect(body.tool_choice).toBeUndefined();
  });

  it.each([
    ["auto", { type: "auto" }],
    ["none", { type: "none" }],
    ["required", { type: "any" }],
    [
      { type: "function", function: { name: "now" } },
      { type: "tool", name: "now" },
    ],
  ] as const)("tool_choice %j -> %j", (choice, expected) => {
    expect(convert({ messages, tools, tool_choice: choice }).body.tool_choice).toEqual(expected);
  });

  it("parallel_tool_calls: false -> disable_parallel_tool_use", () => {
    expect(convert({ messages, tools, extra: { parallel_tool_calls: false } }).body.tool_choice).toEqual({
      type: "auto",
      disable_parallel_tool_use: true,
    });
    expect(
      convert({ messages, tools, tool_choice: "required", extra: { parallel_tool_calls: false } }).body
        .tool_choice,
    ).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(convert({ messages, tools, extra: { parallel_tool_calls: true } }).warnings).toEqual([]);
  });

  it("reports tool_choice without tools, and strict schemas", () => {
    expect(settings(convert({ messages, tool_choice: "required" }).warnings)).toEqual(["tool_choice"]);
    const strict = convert({
      messages,
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" }, strict: true } }],
    });
    expect(settings(strict.warnings)).toEqual(["tools[].function.strict"]);
  });
});

describe("convertToAnthropicRequest: reasoning_effort", () => {
  const messages: ChatRequest["messages"] = [{ role: "user", content: "Hi" }];
  const effort = (reasoning_effort: unknown, request: Partial<ChatRequest> = {}) =>
    convert({ messages, ...request, extra: { reasoning_effort } });

  it.each([
    ["low", 1024],
    ["medium", 2048],
    ["high", 4096],
  ] as const)("%s -> thinking with a budget of %i, the default answer room on top of it", (value, budget) => {
    const { body, warnings } = effort(value);
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: budget });
    expect(body.max_tokens).toBe(budget + ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(warnings).toEqual([]);
  });

  it("keeps a max_tokens above the budget; one at or below it gets the budget added, with a warning", () => {
    expect(effort("low", { max_tokens: 1025 })).toMatchObject({ body: { max_tokens: 1025 }, warnings: [] });
    const under = effort("high", { max_tokens: 300 });
    expect(under.body).toMatchObject({ max_tokens: 4396, thinking: { budget_tokens: 4096 } });
    expect(settings(under.warnings)).toEqual(["max_tokens"]);
    const atBudget = effort("low", { max_tokens: 100, max_completion_tokens: 1024 });
    expect(atBudget.body.max_tokens).toBe(2048);
    expect(settings(atBudget.warnings)).toEqual(["max_completion_tokens"]);
  });

  it("minimal, none and null ask for no thinking, and are not reported", () => {
    for (const value of ["minimal", "none", null]) {
      const { body, warnings } = effort(value);
      expect(body).not.toHaveProperty("thinking");
      expect(body.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
      expect(warnings).toEqual([]);
    }
    expect(convert({ messages }).body).not.toHaveProperty("thinking");
  });

  it("reports any other value and does not think", () => {
    for (const value of ["extreme", "LOW", 2, { effort: "low" }]) {
      const { body, warnings } = effort(value);
      expect(body).not.toHaveProperty("thinking");
      expect(warnings).toEqual([
        {
          setting: "reasoning_effort",
          message: expect.stringMatching(
            /takes reasoning_effort none, minimal, low, medium, high, not /,
          ) as string,
        },
      ]);
    }
  });

  it("drops a temperature other than 1 and a top_p under 0.95 while thinking, with warnings; keeps the rest", () => {
    const dropped = effort("low", { temperature: 0.5, top_p: 0.9 });
    expect(dropped.body).not.toHaveProperty("temperature");
    expect(dropped.body).not.toHaveProperty("top_p");
    expect(settings(dropped.warnings)).toEqual(["temperature", "top_p"]);
    // Above Anthropic's 1, dropped for thinking rather than capped to 1: one warning.
    expect(settings(effort("low", { temperature: 1.5 }).warnings)).toEqual(["temperature"]);
    const kept = effort("low", { temperature: 1, top_p: 0.95 });
    expect(kept.body).toMatchObject({ temperature: 1, top_p: 0.95 });
    expect(kept.warnings).toEqual([]);
  });

  it("keeps a forced tool_choice and does not think, with a warning; auto and none think", () => {
    const tools: ChatRequest["tools"] = [{ type: "function", function: { name: "now" } }];
    for (const tool_choice of ["required", { type: "function", function: { name: "now" } }] as const) {
      const { body, warnings } = effort("low", { tools, tool_choice, temperature: 0.5 });
      expect(body).not.toHaveProperty("thinking");
      expect(body.tool_choice?.type).toMatch(/^(any|tool)$/);
      expect(body).toMatchObject({ max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS, temperature: 0.5 });
      expect(settings(warnings)).toEqual(["reasoning_effort"]);
    }
    for (const tool_choice of ["auto", "none"] as const) {
      expect(effort("low", { tools, tool_choice }).body.thinking).toEqual({
        type: "enabled",
        budget_tokens: 1024,
      });
    }
  });
  it("does not think while answering a tool result without the turn's signed thinking, with a warning", () => {
    const tools: ChatRequest["tools"] = [{ type: "function", function: { name: "now" } }];
    const call = { id: "toolu_1", type: "function" as const, function: { name: "now", arguments: "{}" } };
    const loop: ChatRequest["messages"] = [
      { role: "user", content: "What time is it?" },
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: "toolu_1", content: "noon" },
    ];
    const answering = effort("low", { tools, messages: loop });
    expect(answering.body).not.toHaveProperty("thinking");
    expect(settings(answering.warnings)).toEqual(["reasoning_effort"]);
    // A user message right after the results joins them in Anthropic's user turn: still the loop.
    const joined = effort("low", { tools, messages: [...loop, { role: "user", content: "and now?" }] });
    expect(joined.body).not.toHaveProperty("thinking");
    // Once an answer without calls closes the loop, the next turn thinks again.
    const next = effort("low", {
      tools,
      messages: [...loop, { role: "assistant", content: "Noon." }, { role: "user", content: "Thanks" }],
    });
    expect(next.body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(next.warnings).toEqual([]);
  });
  describe("an assistant message's reasoning blocks (its thinking_blocks)", () => {
    const tools: ChatRequest["tools"] = [{ type: "function", function: { name: "now" } }];
    const call = { id: "toolu_1", type: "function" as const, function: { name: "now", arguments: "{}" } };
    // Opaque and base64-like, with the characters a careless re-encoding would change.
    const signature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk+/==";
    const loop = (reasoningBlocks: ChatReasoningBlock[]): ChatRequest["messages"] => [
      { role: "user", content: "What time is it?" },
      { role: "assistant", content: "Let me look.", tool_calls: [call], reasoningBlocks },
      { role: "tool", tool_call_id: "toolu_1", content: "noon" },
    ];

    it("lead the assistant turn, in order, before its text and tool_use, signatures and data byte for byte", () => {
      const { body, warnings } = effort("low", {
        tools,
        messages: loop([
          { type: "redacted-reasoning", data: "EmwKAhgBEgy3va3pzix" },
          { type: "reasoning", text: "The user wants the time.", signature },
        ]),
      });
      expect(body.messages[1]).toEqual({
        role: "assistant",
        content: [
          { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
          { type: "thinking", thinking: "The user wants the time.", signature },
          { type: "text", text: "Let me look." },
          { type: "tool_use", id: "toolu_1", name: "now", input: {} },
        ],
      });
      expect(JSON.stringify(body)).toContain(JSON.stringify(signature));
      // The turn's thinking came back, so answering the tool result thinks, without a warning.
      expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
      expect(warnings).toEqual([]);
    });

    it("a signed thinking block alone, or a redacted one alone, is enough to go on thinking", () => {
      for (const block of [
        { type: "reasoning", text: "hmm", signature },
        { type: "redacted-reasoning", data: "EmwKAhgBEgy3va3pzix" },
      ] as const) {
        const { body, warnings } = effort("low", { tools, messages: loop([block]) });
        expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
        expect(warnings).toEqual([]);
      }
    });

    it("a thinking block without its signature is not sent, with a warning; that loop then goes without thinking", () => {
      for (const missing of [undefined, ""]) {
        const { body, warnings } = effort("low", {
          tools,
          messages: loop([
            { type: "reasoning", text: "hmm", ...(missing === undefined ? {} : { signature: missing }) },
          ]),
        });
        expect(body.messages[1]!.content.map((b) => b.type)).toEqual(["text", "tool_use"]);
        expect(body).not.toHaveProperty("thinking");
        expect(settings(warnings)).toEqual(["messages[].thinking_blocks", "reasoning_effort"]);
      }
    });

    it("are sent with every assistant turn that has them, and without reasoning_effort too", () => {
      const { body, warnings } = convert({
        messages: [
          { role: "user", content: "Hi" },
          {
            role: "assistant",
            content: "Hello!",
            reasoningBlocks: [{ type: "reasoning", text: "hi", signature }],
          },
          { role: "user", content: "Bye" },
        ],
      });
      expect(body.messages[1]!.content).toEqual([
        { type: "thinking", thinking: "hi", signature },
        { type: "text", text: "Hello!" },
      ]);
      expect(body).not.toHaveProperty("thinking");
      expect(warnings).toEqual([]);
    });
  });
});

describe("mapAnthropicStopReason", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["pause_turn", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    [null, "stop"],
    ["something_new", "stop"],
  ] as const)("%s -> %s", (reason, expected) => {
    expect(mapAnthropicStopReason(reason)).toBe(expected);
  });
});

describe("parseAnthropicResponse", () => {
  const where = "api.anthropic.com/v1/messages";

  it("joins text blocks, keeps tool_use ids and input, maps stop reason and usage (cache tokens counted)", () => {
    const result = parseAnthropicResponse(
      {
        id: "msg_01",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-20250514",
        content: [
          { type: "thinking", thinking: "hmm", signature: "sig" },
          { type: "text", text: "Let me " },
          { type: "text", text: "check." },
          { type: "tool_use", id: "toolu_01", name: "weather", input: { city: "Paris" } },
        ],
        stop_reason: "tool_use",
        stop_sequence: null,
        usage: {
          input_tokens: 10,
          output_tokens: 5,
          cache_creation_input_tokens: 3,
          cache_read_input_tokens: 2,
        },
      },
      where,
    );
    expect(result).toEqual({
      id: "msg_01",
      text: "Let me check.",
      reasoning: "hmm",
      reasoningBlocks: [{ type: "reasoning", text: "hmm", signature: "sig" }],
      toolCalls: [
        { id: "toolu_01", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
      ],
      finishReason: "tool_calls",
      usage: { prompt_tokens: 15, completion_tokens: 5, total_tokens: 20 },
    });
  });

  it("joins thinking blocks in order as the reasoning, leaves redacted_thinking out; none -> absent", () => {
    const result = parseAnthropicResponse(
      {
        id: "msg_03",
        content: [
          { type: "thinking", thinking: "First, ", signature: "c2lnMQ==" },
          { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
          { type: "thinking", thinking: "then.", signature: "c2lnMg==" },
          { type: "text", text: "Done." },
        ],
        stop_reason: "end_turn",
        usage: { input_tokens: 1, output_tokens: 1 },
      },
      where,
    );
    expect(result.reasoning).toBe("First, then.");
    expect(result.text).toBe("Done.");
    // Whole, in Anthropic's order, signatures and data as sent: what a tool loop hands back.
    expect(result.reasoningBlocks).toEqual([
      { type: "reasoning", text: "First, ", signature: "c2lnMQ==" },
      { type: "redacted-reasoning", data: "EmwKAhgBEgy3va3pzix" },
      { type: "reasoning", text: "then.", signature: "c2lnMg==" },
    ]);
    const plain = parseAnthropicResponse(
      {
        id: "msg_04",
        content: [
          { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
          { type: "text", text: "Done." },
        ],
        usage: { input_tokens: 1, output_tokens: 1 },
      },
      where,
    );
    expect(plain).not.toHaveProperty("reasoning");
    expect(plain.reasoningBlocks).toEqual([{ type: "redacted-reasoning", data: "EmwKAhgBEgy3va3pzix" }]);
    const none = parseAnthropicResponse(
      { id: "msg_05", content: [{ type: "text", text: "Done." }], usage: {} },
      where,
    );
    expect(none).not.toHaveProperty("reasoningBlocks");
  });

  it("a thinking block without its text is bad_response", () => {
    expect(() =>
      parseAnthropicResponse(
        { id: "x", content: [{ type: "thinking", signature: "c2ln" }], usage: {} },
        where,
      ),
    ).toThrow(/unexpected shape/);
  });

  it("text is null when the answer has only tool calls", () => {
    const result = parseAnthropicResponse(
      {
        id: "msg_02",
        content: [{ type: "tool_use", id: "toolu_02", name: "now", input: {} }],
        stop_reason: "tool_use",
        usage: { input_tokens: 1, output_tokens: 1 },
      },
      where,
    );
    expect(result.text).toBeNull();
    expect(result.toolCalls[0]!.function.arguments).toBe("{}");
  });

  it("a body of the wrong shape is bad_response naming the path", () => {
    expect(() => parseAnthropicResponse({ id: "x", content: "hi", usage: {} }, where)).toThrow(
      /unexpected shape: \/content/,
    );
    expect(() => parseAnthropicResponse({ id: "x", content: [{ type: "text" }], usage: {} }, where)).toThrow(
      ProviderError,
    );
  });
});

function ev(event: string, data: unknown): SseEvent {
  return { event, data: JSON.stringify(data) };
}

/** A content block's events, as Anthropic sends them (the event name repeated as the data's type). */
const blockStart = (index: number, block: Record<string, unknown>) =>
  ev("content_block_start", { type: "content_block_start", index, content_block: block });
const blockDelta = (index: number, delta: Record<string, unknown>) =>
  ev("content_block_delta", { type: "content_block_delta", index, delta });
const blockStop = (index: number) => ev("content_block_stop", { type: "content_block_stop", index });

function run(events: SseEvent[]): { parts: ChatStreamPart[]; parser: AnthropicStreamParser } {
  const parser = new AnthropicStreamParser("api.anthropic.com/v1/messages");
  const parts = events.flatMap((e) => parser.push(e));
  parts.push(...parser.end());
  return { parts, parser };
}

describe("AnthropicStreamParser", () => {
  const start = ev("message_start", {
    type: "message_start",
    message: { id: "msg_s1", content: [], stop_reason: null, usage: { input_tokens: 25, output_tokens: 1 } },
  });

  it("translates Anthropic's event sequence (ping included) into parts, one finish last", () => {
    const { parts, parser } = run([
      start,
      blockStart(0, { type: "text", text: "" }),
      ev("ping", { type: "ping" }),
      blockDelta(0, { type: "text_delta", text: "Hel" }),
      blockDelta(0, { type: "text_delta", text: "lo" }),
      blockStop(0),
      blockStart(1, { type: "tool_use", id: "toolu_9", name: "weather", input: {} }),
      blockDelta(1, { type: "input_json_delta", partial_json: "" }),
      blockDelta(1, { type: "input_json_delta", partial_json: '{"city":' }),
      blockDelta(1, { type: "input_json_delta", partial_json: '"Paris"}' }),
      blockStop(1),
      ev("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: { output_tokens: 15 },
      }),
      ev("message_stop", { type: "message_stop" }),
    ]);
    expect(parser.id).toBe("msg_s1");
    expect(parts).toEqual([
      { type: "text-delta", delta: "Hel" },
      { type: "text-delta", delta: "lo" },
      // Tool calls are numbered among themselves: the tool_use of block 1 is call 0.
      { type: "tool-call-delta", index: 0, id: "toolu_9", name: "weather", argumentsDelta: "" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"city":' },
      { type: "tool-call-delta", index: 0, argumentsDelta: '"Paris"}' },
      {
        type: "finish",
        finishReason: "tool_calls",
        usage: { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 },
      },
    ]);
  });

  it("gives a tool call without input deltas the arguments {}", () => {
    const { parts } = run([
      start,
      blockStart(0, { type: "tool_use", id: "toolu_a", name: "now", input: {} }),
      blockStop(0),
      ev("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "tool_use" },
        usage: { output_tokens: 3 },
      }),
      ev("message_stop", { type: "message_stop" }),
    ]);
    expect(parts.filter((p) => p.type === "tool-call-delta").map((p) => p.argumentsDelta)).toEqual([
      "",
      "{}",
    ]);
  });

  it("thinking_delta -> signed reasoning-delta, signature_delta -> its signature, redacted_thinking whole, in Anthropic's order; empty pieces skipped", () => {
    const { parts } = run([
      start,
      blockStart(0, { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" }),
      blockStop(0),
      blockStart(1, { type: "thinking", thinking: "", signature: "" }),
      blockDelta(1, { type: "thinking_delta", thinking: "Let me " }),
      blockDelta(1, { type: "thinking_delta", thinking: "" }),
      blockDelta(1, { type: "thinking_delta", thinking: "think" }),
      blockDelta(1, {
        type: "signature_delta",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk",
      }),
      blockStop(1),
      blockStart(2, { type: "text", text: "" }),
      blockDelta(2, { type: "text_delta", text: "Yes." }),
      blockStop(2),
      ev("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "end_turn" },
        usage: { output_tokens: 9 },
      }),
      ev("message_stop", { type: "message_stop" }),
    ]);
    expect(parts).toEqual([
      { type: "redacted-reasoning", data: "EmwKAhgBEgy3va3pzix" },
      { type: "reasoning-delta", delta: "Let me ", signed: true },
      { type: "reasoning-delta", delta: "think", signed: true },
      { type: "reasoning-signature", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk" },
      { type: "text-delta", delta: "Yes." },
      {
        type: "finish",
        finishReason: "stop",
        usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 },
      },
    ]);
  });

  it("skips event types it does not know", () => {
    const { parts } = run([
      start,
      ev("some_future_event", { type: "some_future_event" }),
      ev("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "max_tokens" },
        usage: { output_tokens: 9 },
      }),
      ev("message_stop", { type: "message_stop" }),
    ]);
    expect(parts).toEqual([
      {
        type: "finish",
        finishReason: "length",
        usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 },
      },
    ]);
  });

  it("an error event throws: overloaded_error is 529, retryable", () => {
    const parser = new AnthropicStreamParser("api.anthropic.com/v1/messages");
    parser.push(start);
    let error: unknown;
    try {
      parser.push(ev("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "upstream_error", status: 529, isRetryable: true });
    expect((error as ProviderError).message).toContain("overloaded_error: Overloaded");
  });

  it.each([
    ["invalid_request_error", "upstream_error", 400, false],
    ["authentication_error", "auth", 401, false],
    ["rate_limit_error", "rate_limited", 429, true],
    ["api_error", "upstream_error", 500, true],
  ] as const)("an error event of type %s -> %s %i", (type, kind, status, retryable) => {
    const parser = new AnthropicStreamParser("here");
    expect(() => parser.push(ev("error", { type: "error", error: { type, message: "x" } }))).toThrow(
      expect.objectContaining({ kind, status, isRetryable: retryable }) as Error,
    );
  });

  it("a stream that ends before message_stop is bad_response; one finish only", () => {
    const parser = new AnthropicStreamParser("here");
    parser.push(start);
    expect(() => parser.end()).toThrow(/before message_stop/);
    const { parts } = run([start, ev("message_stop", {}), ev("message_stop", {})]);
    expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
  });

  it("an event that is not JSON is bad_response", () => {
    const parser = new AnthropicStreamParser("here");
    expect(() => parser.push({ event: "message_start", data: "{nope" })).toThrow(
      expect.objectContaining({ kind: "bad_response" }) as Error,
    );
  });
});

describe("readAnthropicError", () => {
  it("reads the error type with the message, and the kind where the type says more than the status", () => {
    expect(
      readAnthropicError(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    ).toEqual({ message: "overloaded_error: Overloaded" });
    expect(
      readAnthropicError(403, { type: "error", error: { type: "permission_error", message: "no access" } }),
    ).toEqual({ message: "permission_error: no access", kind: "auth" });
    expect(readAnthropicError(502, { message: "bad gateway" })).toEqual({ message: "bad gateway" });
  });
});
