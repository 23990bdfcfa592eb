import { describe, expect, it } from "vitest";
import type { ChatRequest, ChatStreamPart } from "../../src/providers/chat-spec.js";
import { ProviderError } from "../../src/providers/errors.js";
import { finishPart, wholeToolCallPart } from "../support/chat-stream-parts.js";
import { convertToOllamaRequest } from "../../src/providers/ollama/convert-to-ollama-request.js";
import { mapOllamaFinishReason } from "../../src/providers/ollama/map-ollama-finish-reason.js";
import { parseOllamaResponse } from "../../src/providers/ollama/parse-ollama-response.js";
import { OllamaStreamParser } from "../../src/providers/ollama/parse-ollama-stream.js";

// Pure functions; nothing to fake.

const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

function convert(request: Partial<ChatRequest>, stream = false) {
  return convertToOllamaRequest({ model: "llama3.2", messages: [], ...request }, { stream });
}

function settings(warnings: { setting: string }[]): string[] {
  return warnings.map((w) => w.setting);
}

describe("convertToOllamaRequest", () => {
  it("keeps system and developer messages in place as role system, joins text parts, and always sets stream", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "developer", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "Hello " },
            { type: "text", text: "there" },
          ],
        },
        { role: "assistant", content: "Hi!" },
        { role: "system", content: "Now in French." },
        { role: "user", content: "Again" },
      ],
    });
    expect(body).toEqual({
      model: "llama3.2",
      stream: false,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
        { role: "assistant", content: "Hi!" },
        { role: "system", content: "Now in French." },
        { role: "user", content: "Again" },
      ],
    });
    expect(warnings).toEqual([]);
    expect(convert({}, true).body.stream).toBe(true);
  });

  it("sends tool calls with object arguments and names each tool result's function", () => {
    const { body } = convert({
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "-3C" },
      ],
    });
    expect(body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: "",
        tool_calls: [{ function: { name: "weather", arguments: { city: "Oslo" } } }],
      },
      { role: "tool", content: "-3C", tool_name: "weather" },
    ]);
  });

  it("sends data: images as base64 in images; an https image is reported and not sent", () => {
    const { body, warnings } = convert({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([{ role: "user", content: "What is this?", images: [PNG_BASE64] }]);
    expect(settings(warnings)).toEqual(["image_url"]);
  });

  it("puts the sampling settings in options (max_tokens as num_predict, stop as a list)", () => {
    const { body, warnings } = convert({
      messages: [{ role: "user", content: "Hi" }],
      temperature: 0.3,
      top_p: 0.8,
      seed: 42,
      stop: "\n\n",
      max_tokens: 128,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
    });
    expect(body.options).toEqual({
      temperature: 0.3,
      top_p: 0.8,
      seed: 42,
      stop: ["\n\n"],
      num_predict: 128,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
    });
    expect(warnings).toEqual([]);
  });

  it('json_object -> format "json"; json_schema -> format: the schema', () => {
    expect(convert({ response_format: { type: "json_object" } }).body.format).toBe("json");
    const schema = { type: "object", properties: { a: { type: "number" } } };
    expect(
      convert({ response_format: { type: "json_schema", json_schema: { schema } } }).body.format,
    ).toEqual(schema);
  });

  it('sends tools; tool_choice "none" leaves them out; "required" is reported', () => {
    const tools: ChatRequest["tools"] = [
      {
        type: "function",
        function: { name: "now", description: "The time", parameters: { type: "object" } },
      },
    ];
    expect(convert({ tools }).body.tools).toEqual([
      {
        type: "function",
        function: { name: "now", description: "The time", parameters: { type: "object" } },
      },
    ]);
    expect(convert({ tools, tool_choice: "none" }).body.tools).toBeUndefined();
    const required = convert({ tools, tool_choice: "required" });
    expect(required.body.tools).toHaveLength(1);
    expect(settings(required.warnings)).toEqual(["tool_choice"]);
    expect(convert({ tools, tool_choice: "auto" }).warnings).toEqual([]);
  });

  it("reports user and extras", () => {
    expect(settings(convert({ user: "u", extra: { logit_bias: {} } }).warnings)).toEqual([
      "user",
      "logit_bias",
    ]);
  });

  it.each([
    // A level only the models that list it take (gpt-oss); true every thinking model takes.
    ["low", true],
    ["medium", true],
    ["high", true],
    ["none", false],
  ] as const)("reasoning_effort %j -> think: %j", (effort, think) => {
    const { body, warnings } = convert({
      messages: [{ role: "user", content: "Hi" }],
      extra: { reasoning_effort: effort },
    });
    expect(body).toEqual({
      model: "llama3.2",
      stream: false,
      messages: [{ role: "user", content: "Hi" }],
      think,
    });
    expect(warnings).toEqual([]);
  });

  it("without reasoning_effort (or with null) think is not sent: the model's default applies", () => {
    expect(convert({}).body).not.toHaveProperty("think");
    const withNull = convert({ extra: { reasoning_effort: null } });
    expect(withNull.body).not.toHaveProperty("think");
    expect(withNull.warnings).toEqual([]);
  });

  it.each(["minimal", "xhigh", "High", 1, true])(
    "reasoning_effort %j is reported and think not sent",
    (effort) => {
      const { body, warnings } = convert({ extra: { reasoning_effort: effort } });
      expect(body).not.toHaveProperty("think");
      expect(settings(warnings)).toEqual(["reasoning_effort"]);
      expect(warnings[0]!.message).toContain(JSON.stringify(effort));
    },
  );
});

describe("mapOllamaFinishReason", () => {
  it.each([
    ["stop", false, "stop"],
    ["stop", true, "tool_calls"],
    ["length", false, "length"],
    ["length", true, "length"],
    ["load", false, "stop"],
    [undefined, false, "stop"],
  ] as const)("%s (tool calls: %s) -> %s", (reason, hasToolCalls, expected) => {
    expect(mapOllamaFinishReason(reason, hasToolCalls)).toBe(expected);
  });
});

describe("parseOllamaResponse", () => {
  it("reads content, counts and done_reason; tool calls get generated ids", () => {
    const result = parseOllamaResponse(
      {
        model: "llama3.2",
        created_at: "2025-01-15T10:20:30Z",
        message: {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "weather", arguments: { city: "Oslo" } } }],
        },
        done_reason: "stop",
        done: true,
        prompt_eval_count: 26,
        eval_count: 12,
      },
      "localhost:11434/api/chat",
    );
    expect(result).toEqual({
      text: null,
      toolCalls: [
        {
          id: expect.stringMatching(/^call_[0-9a-f]{24}$/) as string,
          type: "function",
          function: { name: "weather", arguments: '{"city":"Oslo"}' },
        },
      ],
      finishReason: "tool_calls",
      usage: { prompt_tokens: 26, completion_tokens: 12, total_tokens: 38 },
    });
  });

  it("message.thinking is the reasoning, apart from the content, also beside a tool call", () => {
    const answer = parseOllamaResponse(
      {
        message: { role: "assistant", content: "Four.", thinking: "2 + 2 is 4." },
        done: true,
        done_reason: "stop",
      },
      "here",
    );
    expect(answer).toMatchObject({ text: "Four.", reasoning: "2 + 2 is 4.", finishReason: "stop" });
    const call = parseOllamaResponse(
      {
        message: {
          role: "assistant",
          content: "",
          thinking: "I need the time.",
          tool_calls: [{ function: { name: "now", arguments: {} } }],
        },
        done: true,
        done_reason: "stop",
      },
      "here",
    );
    expect(call).toMatchObject({ text: null, reasoning: "I need the time.", finishReason: "tool_calls" });
    expect(call.toolCalls.map((c) => c.function.name)).toEqual(["now"]);
  });

  it("an empty or absent thinking is no reasoning", () => {
    expect(
      parseOllamaResponse({ message: { content: "Hi", thinking: "" }, done: true }, "here"),
    ).not.toHaveProperty("reasoning");
    expect(parseOllamaResponse({ message: { content: "Hi" }, done: true }, "here")).not.toHaveProperty(
      "reasoning",
    );
  });

  it("keeps the id a newer Ollama gives", () => {
    const result = parseOllamaResponse(
      {
        message: { content: "", tool_calls: [{ id: "call_x", function: { name: "f", arguments: {} } }] },
        done: true,
      },
      "here",
    );
    expect(result.toolCalls[0]!.id).toBe("call_x");
  });

  it("a body of the wrong shape is bad_response", () => {
    expect(() => parseOllamaResponse({ message: "hi", done: "yes" }, "here")).toThrow(/unexpected shape/);
  });
});

describe("OllamaStreamParser", () => {
  it("content deltas, whole tool calls, and the done line as the one finish", () => {
    const parser = new OllamaStreamParser("localhost:11434/api/chat");
    const lines = [
      { model: "m", message: { role: "assistant", content: "Hel" }, done: false },
      { model: "m", message: { role: "assistant", content: "lo" }, done: false },
      {
        model: "m",
        message: {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "now", arguments: {} } }],
        },
        done: false,
      },
      {
        model: "m",
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 5,
        eval_count: 3,
      },
      { model: "m", message: { content: "after the end" }, done: false },
    ];
    const parts: ChatStreamPart[] = lines.flatMap((line) => parser.push(line));
    parts.push(...parser.end());
    expect(parts).toEqual([
      { type: "text-delta", delta: "Hel" },
      { type: "text-delta", delta: "lo" },
      wholeToolCallPart("now", "{}"),
      finishPart("tool_calls", 5, 3),
    ]);
  });

  it("thinking lines are reasoning deltas (empty ones skipped), before the content or a tool call", () => {
    const parser = new OllamaStreamParser("localhost:11434/api/chat");
    const lines = [
      { model: "m", message: { role: "assistant", content: "", thinking: "Let me " }, done: false },
      { model: "m", message: { role: "assistant", content: "", thinking: "see." }, done: false },
      { model: "m", message: { role: "assistant", content: "Hi", thinking: "" }, done: false },
      {
        model: "m",
        message: {
          role: "assistant",
          content: "",
          thinking: "Now the tool.",
          tool_calls: [{ function: { name: "now", arguments: {} } }],
        },
        done: false,
      },
      { model: "m", message: { role: "assistant", content: "" }, done: true, done_reason: "stop" },
    ];
    const parts: ChatStreamPart[] = lines.flatMap((line) => parser.push(line));
    parts.push(...parser.end());
    expect(parts).toEqual([
      { type: "reasoning-delta", delta: "Let me " },
      { type: "reasoning-delta", delta: "see." },
      { type: "text-delta", delta: "Hi" },
      { type: "reasoning-delta", delta: "Now the tool." },
      wholeToolCallPart("now", "{}"),
      finishPart("tool_calls", 0, 0),
    ]);
  });

  it('an {"error": ...} line throws; a stream without done is bad_response', () => {
    const parser = new OllamaStreamParser("here");
    expect(() => parser.push({ error: "llama runner process has terminated" })).toThrow(ProviderError);
    const cut = new OllamaStreamParser("here");
    cut.push({ message: { content: "a" }, done: false });
    expect(() => cut.end()).toThrow(/before done/);
  });
});
