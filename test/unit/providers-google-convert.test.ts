import { describe, expect, it } from "vitest";
import type { ChatRequest, ChatStreamPart } from "../../src/providers/chat-spec.js";
import { ProviderError } from "../../src/providers/errors.js";
import { finishPart, wholeToolCallPart } from "../support/chat-stream-parts.js";
import { convertToGoogleRequest } from "../../src/providers/google/convert-to-google-request.js";
import { SKIP_THOUGHT_SIGNATURE } from "../../src/providers/google/convert-to-google-messages.js";
import { googleModelPath } from "../../src/providers/google/google-model-path.js";
import { mapGoogleFinishReason } from "../../src/providers/google/map-google-finish-reason.js";
import { parseGoogleResponse } from "../../src/providers/google/parse-google-response.js";
import { GoogleStreamParser } from "../../src/providers/google/parse-google-stream.js";
import type { SseEvent } from "../../src/providers/sse.js";

// Pure functions; nothing to fake.

const JPEG_BASE64 =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";

function convert(request: Partial<ChatRequest>) {
  return convertToGoogleRequest({ model: "gemini-2.5-flash", messages: [], ...request });
}

function settings(warnings: { setting: string }[]): string[] {
  return warnings.map((w) => w.setting);
}

describe("convertToGoogleRequest: contents", () => {
  it("puts system and developer messages in systemInstruction; assistant turns are role model", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: "Answer in French." },
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Bonjour" },
        { role: "user", content: [{ type: "text", text: "Again" }] },
      ],
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }, { text: "Answer in French." }] });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "Hello" }] },
      { role: "model", parts: [{ text: "Bonjour" }] },
      { role: "user", parts: [{ text: "Again" }] },
    ]);
    expect(body.generationConfig).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("hoists a system message met mid-conversation, with a warning", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "user", content: "Hi" },
        { role: "system", content: "Be formal." },
        { role: "user", content: "Hello?" },
      ],
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: "Be formal." }] });
    expect(body.contents).toHaveLength(2);
    expect(settings(warnings)).toEqual(["messages"]);
  });

  it("sends tool calls as functionCall parts and tool results as functionResponse parts named after the call", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_b", type: "function", function: { name: "forecast", arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_b", content: '{"temp":24}' },
        { role: "tool", tool_call_id: "call_a", content: "18C and sunny" },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "Weather in Paris and Rome?" }] },
      {
        role: "model",
        parts: [
          {
            functionCall: { name: "weather", args: { city: "Paris" } },
            thoughtSignature: SKIP_THOUGHT_SIGNATURE,
          },
          { functionCall: { name: "forecast", args: { city: "Rome" } } },
        ],
      },
      {
        // Both results in one turn, each named by the call its id answers.
        role: "user",
        parts: [
          { functionResponse: { name: "forecast", response: { temp: 24 } } },
          { functionResponse: { name: "weather", response: { output: "18C and sunny" } } },
        ],
      },
      { role: "user", parts: [{ text: "Thanks" }] },
    ]);
    expect(warnings).toEqual([]);
  });

  it("a tool message whose id answers no call is sent under its id, with a warning", () => {
    const { body, warnings } = convert({
      messages: [
        { role: "user", content: "go" },
        { role: "tool", tool_call_id: "call_unknown", content: "x" },
      ],
    });
    expect(body.contents[1]!.parts).toEqual([
      { functionResponse: { name: "call_unknown", response: { output: "x" } } },
    ]);
    expect(settings(warnings)).toEqual(["messages[].tool_call_id"]);
  });

  it("sends data: images inline; an https image cannot be sent (fileData takes no arbitrary URL) and is reported", () => {
    const { body, warnings } = convert({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: `data:image/jpeg;base64,${JPEG_BASE64}` } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    expect(body.contents[0]!.parts).toEqual([
      { text: "What is this?" },
      { inlineData: { mimeType: "image/jpeg", data: JPEG_BASE64 } },
    ]);
    expect(settings(warnings)).toEqual(["image_url"]);
  });
});

describe("convertToGoogleRequest: settings and tools", () => {
  const messages: ChatRequest["messages"] = [{ role: "user", content: "Hi" }];

  it("puts the sampling settings in generationConfig", () => {
    const { body, warnings } = convert({
      messages,
      stop: "END",
      max_completion_tokens: 64,
      temperature: 1.5,
      top_p: 0.9,
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
    });
    expect(body.generationConfig).toEqual({
      stopSequences: ["END"],
      maxOutputTokens: 64,
      temperature: 1.5,
      topP: 0.9,
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
    });
    expect(warnings).toEqual([]);
  });

  it("json_object -> responseMimeType application/json; json_schema adds responseJsonSchema", () => {
    expect(convert({ messages, response_format: { type: "json_object" } }).body.generationConfig).toEqual({
      responseMimeType: "application/json",
    });
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(
      convert({ messages, response_format: { type: "json_schema", json_schema: { name: "x", schema } } }).body
        .generationConfig,
    ).toEqual({ responseMimeType: "application/json", responseJsonSchema: schema });
    expect(convert({ messages, response_format: { type: "text" } }).body.generationConfig).toBeUndefined();
  });

  it("reports user and extras Gemini has no field for", () => {
    const { warnings } = convert({ messages, user: "u1", extra: { parallel_tool_calls: false, n: 1 } });
    expect(settings(warnings)).toEqual(["user", "parallel_tool_calls"]);
  });

  it.each([
    ["low", { includeThoughts: true, thinkingBudget: 1024 }],
    ["medium", { includeThoughts: true, thinkingBudget: 8192 }],
    ["high", { includeThoughts: true, thinkingBudget: 24576 }],
    // Thinking off: nothing to summarize, so no thoughts asked for.
    ["none", { thinkingBudget: 0 }],
  ] as const)("reasoning_effort %j -> thinkingConfig %j, with the other settings", (effort, expected) => {
    const { body, warnings } = convert({ messages, max_tokens: 100, extra: { reasoning_effort: effort } });
    expect(body.generationConfig).toEqual({ maxOutputTokens: 100, thinkingConfig: expected });
    expect(warnings).toEqual([]);
  });

  it("without reasoning_effort (or with null) no thinkingConfig is sent: the model thinks as it would", () => {
    expect(convert({ messages }).body.generationConfig).toBeUndefined();
    const withNull = convert({ messages, extra: { reasoning_effort: null } });
    expect(withNull.body.generationConfig).toBeUndefined();
    expect(withNull.warnings).toEqual([]);
  });

  it.each(["minimal", "xhigh", "LOW", 2, true])(
    "reasoning_effort %j has no budget Google documents: reported, nothing sent",
    (effort) => {
      const { body, warnings } = convert({ messages, extra: { reasoning_effort: effort } });
      expect(body.generationConfig).toBeUndefined();
      expect(settings(warnings)).toEqual(["reasoning_effort"]);
      expect(warnings[0]!.message).toContain(JSON.stringify(effort));
    },
  );

  const tools: ChatRequest["tools"] = [
    {
      type: "function",
      function: {
        name: "weather",
        description: "Current weather",
        parameters: { type: "object", properties: { city: { type: "string" } }, additionalProperties: false },
      },
    },
    { type: "function", function: { name: "now" } },
  ];

  it("sends tools as functionDeclarations with their JSON Schema as it is", () => {
    const { body } = convert({ messages, tools });
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "weather",
            description: "Current weather",
            parametersJsonSchema: {
              type: "object",
              properties: { city: { type: "string" } },
              additionalProperties: false,
            },
          },
          { name: "now" },
        ],
      },
    ]);
    expect(body.toolConfig).toBeUndefined();
  });

  it.each([
    ["auto", { mode: "AUTO" }],
    ["none", { mode: "NONE" }],
    ["required", { mode: "ANY" }],
    [
      { type: "function", function: { name: "now" } },
      { mode: "ANY", allowedFunctionNames: ["now"] },
    ],
  ] as const)("tool_choice %j -> functionCallingConfig %j", (choice, expected) => {
    expect(convert({ messages, tools, tool_choice: choice }).body.toolConfig).toEqual({
      functionCallingConfig: expected,
    });
  });
});

describe("mapGoogleFinishReason", () => {
  it.each([
    ["STOP", false, "stop"],
    ["STOP", true, "tool_calls"],
    ["MAX_TOKENS", false, "length"],
    ["MAX_TOKENS", true, "length"],
    ["SAFETY", false, "content_filter"],
    ["RECITATION", false, "content_filter"],
    ["BLOCKLIST", false, "content_filter"],
    ["PROHIBITED_CONTENT", false, "content_filter"],
    ["SPII", false, "content_filter"],
    ["MALFORMED_FUNCTION_CALL", false, "error"],
    ["OTHER", false, "stop"],
    [undefined, false, "stop"],
  ] as const)("%s (tool calls: %s) -> %s", (reason, hasToolCalls, expected) => {
    expect(mapGoogleFinishReason(reason, hasToolCalls)).toBe(expected);
  });
});

describe("parseGoogleResponse", () => {
  const where = "generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent";

  it("joins text parts, keeps thought summaries apart as the reasoning, and maps usage, thinking tokens counted as completion", () => {
    const result = parseGoogleResponse(
      {
        candidates: [
          {
            content: {
              role: "model",
              parts: [{ text: "Thinking about it", thought: true }, { text: "Hello " }, { text: "there" }],
            },
            finishReason: "STOP",
            index: 0,
          },
        ],
        usageMetadata: {
          promptTokenCount: 8,
          candidatesTokenCount: 2,
          thoughtsTokenCount: 5,
          totalTokenCount: 15,
        },
        modelVersion: "gemini-2.5-flash",
        responseId: "resp-1",
      },
      where,
    );
    expect(result).toEqual({
      id: "resp-1",
      text: "Hello there",
      reasoning: "Thinking about it",
      toolCalls: [],
      finishReason: "stop",
      usage: { prompt_tokens: 8, completion_tokens: 7, total_tokens: 15 },
    });
  });

  it("gives function calls generated ids (Gemini has none) and finishes with tool_calls", () => {
    const result = parseGoogleResponse(
      {
        candidates: [
          {
            content: {
              role: "model",
              parts: [
                { functionCall: { name: "weather", args: { city: "Paris" } }, thoughtSignature: "c2ln" },
                { functionCall: { name: "now" } },
              ],
            },
            finishReason: "STOP",
          },
        ],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 },
      },
      where,
    );
    expect(result.text).toBeNull();
    expect(result.finishReason).toBe("tool_calls");
    expect(result.toolCalls.map((c) => c.function)).toEqual([
      { name: "weather", arguments: '{"city":"Paris"}' },
      { name: "now", arguments: "{}" },
    ]);
    for (const call of result.toolCalls) expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(result.toolCalls[0]!.id).not.toBe(result.toolCalls[1]!.id);
  });

  it("thought summaries before a call are the reasoning, never the text; thought signatures are not read", () => {
    const result = parseGoogleResponse(
      {
        candidates: [
          {
            content: {
              role: "model",
              parts: [
                { text: "The user wants ", thought: true },
                { text: "the weather.", thought: true },
                { functionCall: { name: "weather", args: { city: "Oslo" } }, thoughtSignature: "c2lnLWE=" },
              ],
            },
            finishReason: "STOP",
          },
        ],
        usageMetadata: {
          promptTokenCount: 3,
          candidatesTokenCount: 4,
          thoughtsTokenCount: 6,
          totalTokenCount: 13,
        },
      },
      where,
    );
    expect(result.text).toBeNull();
    expect(result.reasoning).toBe("The user wants the weather.");
    expect(result.toolCalls.map((c) => c.function)).toEqual([
      { name: "weather", arguments: '{"city":"Oslo"}' },
    ]);
    expect(result.finishReason).toBe("tool_calls");
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 10, total_tokens: 13 });
    expect(JSON.stringify(result)).not.toContain("c2lnLWE=");
  });

  it("an answer without thought parts has no reasoning at all", () => {
    const result = parseGoogleResponse(
      {
        candidates: [
          {
            content: {
              parts: [
                { text: "Hi", thoughtSignature: "c2ln" },
                { text: "", thought: true },
              ],
            },
          },
        ],
      },
      where,
    );
    expect(result.text).toBe("Hi");
    expect(result).not.toHaveProperty("reasoning");
  });

  it("a blocked prompt (no candidates) is content_filter with no text", () => {
    const result = parseGoogleResponse(
      {
        promptFeedback: { blockReason: "SAFETY" },
        usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 },
      },
      where,
    );
    expect(result).toMatchObject({ text: null, toolCalls: [], finishReason: "content_filter" });
    expect(result.usage).toEqual({ prompt_tokens: 4, completion_tokens: 0, total_tokens: 4 });
  });

  it("a body of the wrong shape is bad_response", () => {
    expect(() => parseGoogleResponse({ candidates: { text: "hi" } }, where)).toThrow(
      /unexpected shape: \/candidates/,
    );
  });
});

function chunk(data: unknown): SseEvent {
  return { data: JSON.stringify(data) };
}

describe("GoogleStreamParser", () => {
  const where = "generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent";

  it("text parts are deltas, thought summaries reasoning deltas in their place, a functionCall one whole tool-call-delta, the finish at the end with the last usage", () => {
    const parser = new GoogleStreamParser(where);
    const parts: ChatStreamPart[] = [
      chunk({
        candidates: [{ content: { role: "model", parts: [{ text: "Let me " }] }, index: 0 }],
        usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
        responseId: "r-1",
      }),
      chunk({
        candidates: [
          { content: { role: "model", parts: [{ text: "thinking", thought: true }, { text: "check." }] } },
        ],
        responseId: "r-1",
      }),
      chunk({
        candidates: [
          {
            content: {
              role: "model",
              parts: [{ functionCall: { name: "weather", args: { city: "Paris" } } }],
            },
            finishReason: "STOP",
          },
        ],
        usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 6, totalTokenCount: 15 },
        responseId: "r-1",
      }),
    ].flatMap((e) => parser.push(e));
    parts.push(...parser.end());
    expect(parser.id).toBe("r-1");
    expect(parts).toEqual([
      { type: "text-delta", delta: "Let me " },
      { type: "reasoning-delta", delta: "thinking" },
      { type: "text-delta", delta: "check." },
      wholeToolCallPart("weather", '{"city":"Paris"}'),
      finishPart("tool_calls", 9, 6),
    ]);
  });

  it("thoughts streamed around a call: reasoning deltas in order, then the call; a signature-only part adds nothing", () => {
    const parser = new GoogleStreamParser(where);
    const parts: ChatStreamPart[] = [
      chunk({ candidates: [{ content: { role: "model", parts: [{ text: "Which ", thought: true }] } }] }),
      chunk({
        candidates: [
          {
            content: {
              role: "model",
              parts: [
                { text: "tool?", thought: true },
                { functionCall: { name: "now", args: {} }, thoughtSignature: "c2lnLWI=" },
              ],
            },
          },
        ],
      }),
      chunk({
        candidates: [
          {
            content: { role: "model", parts: [{ text: "", thoughtSignature: "c2lnLWM=" }] },
            finishReason: "STOP",
          },
        ],
        usageMetadata: {
          promptTokenCount: 2,
          candidatesTokenCount: 1,
          thoughtsTokenCount: 2,
          totalTokenCount: 5,
        },
      }),
    ].flatMap((e) => parser.push(e));
    parts.push(...parser.end());
    expect(parts).toEqual([
      { type: "reasoning-delta", delta: "Which " },
      { type: "reasoning-delta", delta: "tool?" },
      wholeToolCallPart("now", "{}"),
      finishPart("tool_calls", 2, 3),
    ]);
  });

  it("MAX_TOKENS -> length; a blocked prompt -> content_filter", () => {
    const parser = new GoogleStreamParser(where);
    parser.push(chunk({ candidates: [{ content: { parts: [{ text: "a" }] }, finishReason: "MAX_TOKENS" }] }));
    expect(parser.end()).toEqual([finishPart("length", 0, 0)]);
    const blocked = new GoogleStreamParser(where);
    expect(blocked.push(chunk({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" } }))).toEqual([
      finishPart("content_filter", 0, 0),
    ]);
    expect(blocked.end()).toEqual([]);
  });

  it("finishes at the chunk with finishReason and usage, not at the body's end: an upstream that keeps the body open cannot hold the answer", () => {
    const parser = new GoogleStreamParser(where);
    expect(parser.push(chunk({ candidates: [{ content: { parts: [{ text: "a" }] } }] }))).toEqual([
      { type: "text-delta", delta: "a" },
    ]);
    expect(
      parser.push(
        chunk({
          candidates: [{ content: { parts: [{ text: "b" }] }, finishReason: "STOP" }],
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 },
        }),
      ),
    ).toEqual([{ type: "text-delta", delta: "b" }, finishPart("stop", 3, 2)]);
    // Whatever follows is after the answer: nothing more, and no second finish at the end.
    expect(parser.push(chunk({ candidates: [{ content: { parts: [{ text: "late" }] } }] }))).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it("a finishReason without usage waits for the chunk that carries the usage, so the count is not lost", () => {
    const parser = new GoogleStreamParser(where);
    expect(
      parser.push(chunk({ candidates: [{ content: { parts: [{ text: "a" }] }, finishReason: "STOP" }] })),
    ).toEqual([{ type: "text-delta", delta: "a" }]);
    expect(
      parser.push(
        chunk({ usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1, totalTokenCount: 5 } }),
      ),
    ).toEqual([finishPart("stop", 4, 1)]);
  });

  it("reads odd token counts safely: null, negative, fractional and huge counts neither fail the answer nor reach the bill", () => {
    const parser = new GoogleStreamParser(where);
    const parts = parser.push(
      chunk({
        candidates: [{ content: { parts: [{ text: "a" }] }, finishReason: "STOP" }],
        usageMetadata: {
          promptTokenCount: null,
          candidatesTokenCount: 2.9,
          thoughtsTokenCount: -100,
          totalTokenCount: 1e300,
        },
      }),
    );
    expect(parts.at(-1)).toEqual({
      type: "finish",
      finishReason: "stop",
      usage: { prompt_tokens: 0, completion_tokens: 2, total_tokens: 2 ** 31 - 1 },
    });
  });

  it("an error chunk throws with the status its code stands for", () => {
    const parser = new GoogleStreamParser(where);
    let error: unknown;
    try {
      parser.push(
        chunk({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "upstream_error", status: 503, isRetryable: true });
    expect((error as Error).message).toContain("UNAVAILABLE: The model is overloaded.");
  });

  it("a stream that ends without a finishReason is bad_response", () => {
    const parser = new GoogleStreamParser(where);
    parser.push(chunk({ candidates: [{ content: { parts: [{ text: "a" }] } }] }));
    expect(() => parser.end()).toThrow(expect.objectContaining({ kind: "bad_response" }) as Error);
  });
});

describe("googleModelPath", () => {
  it("prefixes models/ once, keeps tunedModels/, and encodes each segment", () => {
    expect(googleModelPath("gemini-2.5-flash")).toBe("models/gemini-2.5-flash");
    expect(googleModelPath("models/gemini-2.5-flash")).toBe("models/gemini-2.5-flash");
    expect(googleModelPath("tunedModels/my-model-1")).toBe("tunedModels/my-model-1");
    expect(googleModelPath("../v1/files?x=1")).toBe("models/..%2Fv1%2Ffiles%3Fx%3D1");
  });
});
