import { describe, expect, it } from "vitest";
import type { ChatRequest, ChatStreamPart } from "../../src/providers/chat-spec.js";
import { ProviderError } from "../../src/providers/errors.js";
import {
  convertToOpenAIEmbeddingsRequest,
  convertToOpenAIRequest,
} from "../../src/providers/openai/convert-to-openai-request.js";
import { mapOpenAIFinishReason } from "../../src/providers/openai/map-openai-finish-reason.js";
import { readOpenAIChatStream } from "../../src/providers/openai/openai-chat-stream.js";
import { readOpenAIError } from "../../src/providers/openai/openai-error.js";
import { parseOpenAIChunk, parseOpenAIUsage } from "../../src/providers/openai/parse-openai-chunk.js";
import {
  parseOpenAIChatResponse,
  parseOpenAIEmbeddingsResponse,
} from "../../src/providers/openai/parse-openai-response.js";
import type { SseEvent } from "../../src/providers/sse.js";
import { finishPart } from "../support/chat-stream-parts.js";

// Pure functions over recorded OpenAI bodies and chunks; nothing to fake.

const WHERE = "api.openai.com/v1/chat/completions";
const KEY = "sk-proj-UnitTestKey0123456789abcdef";

const base: ChatRequest = {
  model: "gpt-4o",
  messages: [
    { role: "system", content: "be brief" },
    { role: "user", content: [{ type: "text", text: "hi" }] },
  ],
};

function chunk(choices: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-4o",
    choices,
    ...extra,
  });
}

const delta = (d: Record<string, unknown>, finish: string | null = null, logprobs: unknown = null) => [
  { index: 0, delta: d, logprobs, finish_reason: finish },
];

/** One token as OpenAI lists it in `choice.logprobs`, with one alternative. */
const token = (text: string, logprob = -0.5) => ({
  token: text,
  logprob,
  bytes: [...Buffer.from(text)],
  top_logprobs: [
    { token: text, logprob, bytes: [...Buffer.from(text)] },
    { token: "x", logprob: logprob - 1, bytes: [120] },
  ],
});

describe("convertToOpenAIRequest", () => {
  it("passes OpenAI's fields through untouched, messages and tools by reference", () => {
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];
    const request: ChatRequest = {
      ...base,
      max_tokens: 10,
      max_completion_tokens: 20,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["END"],
      tools,
      tool_choice: { type: "function", function: { name: "f" } },
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
      seed: 7,
      response_format: { type: "json_object" },
      user: "u1",
      extra: { logprobs: true, top_logprobs: 2, parallel_tool_calls: false, metadata: { a: "b" } },
    };
    const { body, warnings } = convertToOpenAIRequest(request, { stream: false });
    expect(warnings).toEqual([]);
    expect(body.messages).toBe(request.messages);
    expect(body.tools).toBe(tools);
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      model: "gpt-4o",
      messages: JSON.parse(JSON.stringify(request.messages)),
      max_tokens: 10,
      max_completion_tokens: 20,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["END"],
      tools,
      tool_choice: { type: "function", function: { name: "f" } },
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
      seed: 7,
      response_format: { type: "json_object" },
      user: "u1",
      logprobs: true,
      top_logprobs: 2,
      parallel_tool_calls: false,
      metadata: { a: "b" },
    });
  });

  it("sends no field the caller did not set", () => {
    const { body } = convertToOpenAIRequest(base, { stream: false });
    expect(Object.keys(JSON.parse(JSON.stringify(body)) as object).sort()).toEqual(["messages", "model"]);
  });

  it("asks a stream for its usage, keeping the caller's other stream options", () => {
    expect(convertToOpenAIRequest(base, { stream: true }).body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    const asked = convertToOpenAIRequest(
      {
        ...base,
        extra: { stream: false, stream_options: { include_usage: false, include_obfuscation: false } },
      },
      { stream: true },
    ).body;
    expect(asked.stream).toBe(true);
    expect(asked.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
  });

  it("never lets extra turn a non-streaming call into a stream", () => {
    const { body } = convertToOpenAIRequest(
      { ...base, extra: { stream: true, stream_options: { include_usage: true } } },
      { stream: false },
    );
    expect(body).not.toHaveProperty("stream");
    expect(body).not.toHaveProperty("stream_options");
  });

  it("drops n other than 1 with a warning, n: 1 silently", () => {
    const many = convertToOpenAIRequest({ ...base, extra: { n: 3 } }, { stream: false });
    expect(many.body).not.toHaveProperty("n");
    expect(many.warnings).toEqual([
      { setting: "n", message: expect.stringContaining("one choice") as unknown },
    ]);
    const one = convertToOpenAIRequest({ ...base, extra: { n: 1 } }, { stream: false });
    expect(one.body).not.toHaveProperty("n");
    expect(one.warnings).toEqual([]);
  });

  it("lets the known fields win over extra", () => {
    const { body } = convertToOpenAIRequest({ ...base, extra: { model: "other" } }, { stream: false });
    expect(body.model).toBe("gpt-4o");
  });

  it("embeddings: model, input, dimensions and user; the upstream's default encoding", () => {
    const body = convertToOpenAIEmbeddingsRequest({
      model: "text-embedding-3-small",
      input: ["a", "b"],
      dimensions: 256,
      encoding_format: "base64",
      user: "u",
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      model: "text-embedding-3-small",
      input: ["a", "b"],
      dimensions: 256,
      user: "u",
    });
  });
});

describe("mapOpenAIFinishReason", () => {
  it.each([
    ["stop", "stop"],
    ["length", "length"],
    ["tool_calls", "tool_calls"],
    ["function_call", "tool_calls"],
    ["content_filter", "content_filter"],
    ["error", "error"],
    ["eos", "stop"],
    ["eos_token", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["something_new", "stop"],
  ] as const)("%s -> %s", (upstream, mapped) => {
    expect(mapOpenAIFinishReason(upstream)).toBe(mapped);
  });
});

describe("parseOpenAIChunk", () => {
  it("reads nothing from the role chunk but its id", () => {
    const reading = parseOpenAIChunk(
      chunk(delta({ role: "assistant", content: "", refusal: null })),
      WHERE,
      [],
    );
    expect(reading).toEqual({ id: "chatcmpl-1", parts: [] });
  });

  it("reads a content delta", () => {
    expect(parseOpenAIChunk(chunk(delta({ content: "Hel" })), WHERE, []).parts).toEqual([
      { type: "text-delta", delta: "Hel" },
    ]);
  });

  it("reads reasoning as DeepSeek (reasoning_content) and OpenRouter (reasoning) stream it, before the content", () => {
    expect(
      parseOpenAIChunk(chunk(delta({ content: null, reasoning_content: "Hmm" })), WHERE, []).parts,
    ).toEqual([{ type: "reasoning-delta", delta: "Hmm" }]);
    expect(parseOpenAIChunk(chunk(delta({ content: "A", reasoning: "so" })), WHERE, []).parts).toEqual([
      { type: "reasoning-delta", delta: "so" },
      { type: "text-delta", delta: "A" },
    ]);
    expect(
      parseOpenAIChunk(chunk(delta({ content: "A", reasoning_content: null })), WHERE, []).parts,
    ).toEqual([{ type: "text-delta", delta: "A" }]);
    expect(parseOpenAIChunk(chunk(delta({ reasoning_content: "" })), WHERE, []).parts).toEqual([]);
  });

  it("carries a content chunk's logprobs on its text-delta, so they go out with the tokens they describe", () => {
    const logprobs = { content: [token("Hel")], refusal: null };
    expect(parseOpenAIChunk(chunk(delta({ content: "Hel" }, null, logprobs)), WHERE, []).parts).toEqual([
      { type: "text-delta", delta: "Hel", logprobs },
    ]);
    // The role and tool-call chunks of a call with logprobs carry empty lists: nothing to hand on.
    const empty = { content: [], refusal: null };
    expect(
      parseOpenAIChunk(
        chunk(delta({ role: "assistant", content: "", refusal: null }, null, empty)),
        WHERE,
        [],
      ).parts,
    ).toEqual([]);
    expect(
      parseOpenAIChunk(
        chunk(delta({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }, null, empty)),
        WHERE,
        [],
      ).parts,
    ).toEqual([{ type: "tool-call-delta", index: 0, argumentsDelta: "{}" }]);
  });

  it("hands on logprobs sent on a chunk without content, as an empty piece", () => {
    const logprobs = { content: [token("Hel")], refusal: null };
    for (const d of [{}, { content: "" }, { content: null }]) {
      expect(parseOpenAIChunk(chunk(delta(d, null, logprobs)), WHERE, []).parts).toEqual([
        { type: "text-delta", delta: "", logprobs },
      ]);
    }
    const ofRefusal = { content: null, refusal: [token("I")] };
    expect(parseOpenAIChunk(chunk(delta({}, null, ofRefusal)), WHERE, []).parts).toEqual([
      { type: "refusal-delta", delta: "", logprobs: ofRefusal },
    ]);
    // A reasoning chunk's logprobs (some servers score reasoning tokens too) are not lost either.
    expect(
      parseOpenAIChunk(chunk(delta({ reasoning_content: "Hmm" }, null, logprobs)), WHERE, []).parts,
    ).toEqual([
      { type: "reasoning-delta", delta: "Hmm" },
      { type: "text-delta", delta: "", logprobs },
    ]);
  });

  it("reads a compatible server's logprobs that leave out bytes, top_logprobs or refusal, or add fields", () => {
    const logprobs = {
      content: [
        {
          id: 9707,
          token: "Hi",
          logprob: -0.25,
          bytes: [72, 105],
          top_logprobs: [{ id: 1, token: "Hi", logprob: -0.25 }],
        },
        { token: "!", logprob: 0 },
      ],
    };
    expect(parseOpenAIChunk(chunk(delta({ content: "Hi!" }, null, logprobs)), WHERE, []).parts).toEqual([
      {
        type: "text-delta",
        delta: "Hi!",
        logprobs: {
          content: [
            {
              token: "Hi",
              logprob: -0.25,
              bytes: [72, 105],
              top_logprobs: [{ token: "Hi", logprob: -0.25, bytes: null }],
            },
            { token: "!", logprob: 0, bytes: null, top_logprobs: [] },
          ],
        },
      },
    ]);
  });

  it("drops malformed logprobs without failing the chunk or losing its text", () => {
    const good = token("Hel");
    for (const logprobs of [
      "yes",
      [good],
      { content: "Hel" },
      { content: [good, { token: "lo" }] },
      { content: [{ ...good, logprob: "-0.5" }] },
      { content: [{ ...good, bytes: "Hel" }] },
      { content: [{ ...good, bytes: [72, "e"] }] },
      { content: [{ ...good, top_logprobs: {} }] },
      { content: [{ ...good, top_logprobs: [{ token: 1, logprob: 0 }] }] },
      { content: [good], refusal: "no" },
      { content: null, refusal: null },
    ]) {
      expect(
        parseOpenAIChunk(chunk(delta({ content: "Hel" }, null, logprobs)), WHERE, []).parts,
        JSON.stringify(logprobs),
      ).toEqual([{ type: "text-delta", delta: "Hel" }]);
    }
  });

  it("reads a refusal as OpenAI streams it: nothing from the role chunk's empty one, then refusal-deltas", () => {
    expect(
      parseOpenAIChunk(chunk(delta({ role: "assistant", content: null, refusal: "" })), WHERE, []).parts,
    ).toEqual([]);
    expect(parseOpenAIChunk(chunk(delta({ refusal: "I can't" })), WHERE, []).parts).toEqual([
      { type: "refusal-delta", delta: "I can't" },
    ]);
    const logprobs = { content: null, refusal: [token("I")] };
    expect(parseOpenAIChunk(chunk(delta({ refusal: "I" }, null, logprobs)), WHERE, []).parts).toEqual([
      { type: "refusal-delta", delta: "I", logprobs },
    ]);
    expect(parseOpenAIChunk(chunk(delta({ content: "A", refusal: 5 })), WHERE, []).parts).toEqual([
      { type: "text-delta", delta: "A" },
    ]);
  });

  it("reads tool-call deltas: id and name first, then arguments, calls told apart by index", () => {
    const first = parseOpenAIChunk(
      chunk(
        delta({
          role: "assistant",
          content: null,
          tool_calls: [
            { index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: "" } },
            { index: 1, id: "call_b", type: "function", function: { name: "get_time", arguments: '{"tz' } },
          ],
        }),
      ),
      WHERE,
      [],
    );
    expect(first.parts).toEqual([
      { type: "tool-call-delta", index: 0, id: "call_a", name: "get_weather", argumentsDelta: "" },
      { type: "tool-call-delta", index: 1, id: "call_b", name: "get_time", argumentsDelta: '{"tz' },
    ]);
    const later = parseOpenAIChunk(
      chunk(delta({ tool_calls: [{ index: 1, function: { arguments: '":"UTC"}' } }] })),
      WHERE,
      [],
    );
    expect(later.parts).toEqual([{ type: "tool-call-delta", index: 1, argumentsDelta: '":"UTC"}' }]);
  });

  it("reads arguments sent as an object as JSON text, and a missing index as the position", () => {
    const reading = parseOpenAIChunk(
      chunk(delta({ tool_calls: [{ id: "c", function: { name: "f", arguments: { a: 1 } } }] })),
      WHERE,
      [],
    );
    expect(reading.parts).toEqual([
      { type: "tool-call-delta", index: 0, id: "c", name: "f", argumentsDelta: '{"a":1}' },
    ]);
  });

  it("hands back the finish reason without making a finish part", () => {
    const reading = parseOpenAIChunk(chunk(delta({}, "length")), WHERE, []);
    expect(reading.parts).toEqual([]);
    expect(reading.finishReason).toBe("length");
  });

  it("reads the usage chunk, whose choices are empty", () => {
    const reading = parseOpenAIChunk(
      chunk([], {
        usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: {} },
      }),
      WHERE,
      [],
    );
    expect(reading.usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
    expect(reading.parts).toEqual([]);
  });

  it("ignores `usage: null` and choices other than the first", () => {
    const reading = parseOpenAIChunk(
      chunk([{ index: 1, delta: { content: "other" }, finish_reason: null }], { usage: null }),
      WHERE,
      [],
    );
    expect(reading).toEqual({ id: "chatcmpl-1", parts: [] });
  });

  it("throws a mid-stream error chunk as upstream_error, key redacted", () => {
    const error = (() => {
      try {
        parseOpenAIChunk(
          JSON.stringify({ error: { message: `overloaded for ${KEY}`, type: "server_error" } }),
          WHERE,
          [KEY],
        );
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "upstream_error" });
    expect((error as Error).message).toContain("overloaded");
    expect((error as Error).message).not.toContain(KEY);
  });

  it("throws bad_response for an event that is not JSON or not an object", () => {
    expect(() => parseOpenAIChunk("<html>", WHERE, [])).toThrow(
      expect.objectContaining({ kind: "bad_response" }),
    );
    expect(() => parseOpenAIChunk("[1,2]", WHERE, [])).toThrow(
      expect.objectContaining({ kind: "bad_response" }),
    );
  });
});

describe("parseOpenAIUsage", () => {
  it("sums a missing total, and is undefined for null", () => {
    expect(parseOpenAIUsage({ prompt_tokens: 2, completion_tokens: 3 })).toEqual({
      prompt_tokens: 2,
      completion_tokens: 3,
      total_tokens: 5,
    });
    expect(parseOpenAIUsage(null)).toBeUndefined();
  });
});

/** One batch per event, as an upstream that flushes every event by itself sends them. */
async function* events(...data: string[]): AsyncGenerator<SseEvent[]> {
  for (const d of data) yield [{ data: d }];
}

/** All events in one batch, as a fast upstream (or the benchmark's mock) sends them. */
async function* oneBatch(...data: string[]): AsyncGenerator<SseEvent[]> {
  yield data.map((d) => ({ data: d }));
}

async function collect(parts: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const out: ChatStreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

function context() {
  const state = { cancelled: 0, started: 0 };
  return {
    state,
    context: {
      where: WHERE,
      secrets: [KEY],
      cancel: () => void state.cancelled++,
      started: () => void state.started++,
    },
  };
}

describe("readOpenAIChatStream", () => {
  // One read per event (an upstream that flushes each event) or all in one (a fast upstream, the
  // benchmark's mock): the same parts either way.
  for (const [reads, batches] of [
    ["one read per event", events],
    ["one read for all", oneBatch],
  ] as const) {
    it(`ends with exactly one finish carrying the last finish reason and the usage chunk's counts (${reads})`, async () => {
      const { state, context: ctx } = context();
      const stream = await readOpenAIChatStream(
        batches(
          chunk(delta({ role: "assistant", content: "" }), { usage: null }),
          chunk(delta({ content: "Hel" }), { usage: null }),
          chunk(delta({ content: "lo" }), { usage: null }),
          chunk(delta({}, "stop"), { usage: null }),
          chunk([], { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
          "[DONE]",
        ),
        ctx,
      );
      expect(stream.id).toBe("chatcmpl-1");
      expect(await collect(stream.parts)).toEqual([
        { type: "text-delta", delta: "Hel" },
        { type: "text-delta", delta: "lo" },
        finishPart("stop", 5, 2),
      ]);
      // The body ended by itself after [DONE]: read to its end, so its socket can be reused.
      expect(state.cancelled).toBe(0);
    });
  }

  it("streams a refusal as refusal-deltas, finishing with stop", async () => {
    const stream = await readOpenAIChatStream(
      events(
        chunk(delta({ role: "assistant", content: null, refusal: "" })),
        chunk(delta({ refusal: "I can't " })),
        chunk(delta({ refusal: "help." })),
        chunk(delta({}, "stop")),
        "[DONE]",
      ),
      context().context,
    );
    expect(await collect(stream.parts)).toEqual([
      { type: "refusal-delta", delta: "I can't " },
      { type: "refusal-delta", delta: "help." },
      finishPart("stop", 0, 0),
    ]);
  });

  it("finishes with zero usage when the upstream sent none", async () => {
    const stream = await readOpenAIChatStream(
      events(chunk(delta({ content: "x" })), chunk(delta({}, "length")), "[DONE]"),
      context().context,
    );
    const parts = await collect(stream.parts);
    expect(parts.filter((p) => p.type === "finish")).toEqual([finishPart("length", 0, 0)]);
  });

  it("streams tool-call deltas and finishes with tool_calls", async () => {
    const stream = await readOpenAIChatStream(
      events(
        chunk(
          delta({
            role: "assistant",
            tool_calls: [{ index: 0, id: "call_1", function: { name: "f", arguments: "" } }],
          }),
        ),
        chunk(delta({ tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] })),
        chunk(delta({ tool_calls: [{ index: 0, function: { arguments: ":1}" } }] })),
        chunk(delta({}, "tool_calls")),
        "[DONE]",
      ),
      context().context,
    );
    const parts = await collect(stream.parts);
    expect(parts).toEqual([
      { type: "tool-call-delta", index: 0, id: "call_1", name: "f", argumentsDelta: "" },
      { type: "tool-call-delta", index: 0, argumentsDelta: '{"a"' },
      { type: "tool-call-delta", index: 0, argumentsDelta: ":1}" },
      finishPart("tool_calls", 0, 0),
    ]);
  });

  it("gives a call whose upstream sent no id one, on its first delta only", async () => {
    const stream = await readOpenAIChatStream(
      events(
        chunk(delta({ tool_calls: [{ index: 0, function: { name: "f", arguments: "{" } }] })),
        chunk(delta({ tool_calls: [{ index: 0, function: { arguments: "}" } }] })),
        "[DONE]",
      ),
      context().context,
    );
    const parts = await collect(stream.parts);
    expect(parts[0]).toMatchObject({
      type: "tool-call-delta",
      id: expect.stringMatching(/^call_[0-9a-f]{24}$/) as unknown,
    });
    expect(parts[1]).not.toHaveProperty("id");
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "tool_calls" });
  });

  it("accepts a stream without [DONE] once a finish_reason came", async () => {
    const stream = await readOpenAIChatStream(
      events(chunk(delta({ content: "x" }, "stop"))),
      context().context,
    );
    expect((await collect(stream.parts)).at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
  });

  it("throws bad_response after the parts when the stream was cut before finishing", async () => {
    const stream = await readOpenAIChatStream(events(chunk(delta({ content: "x" }))), context().context);
    const seen: ChatStreamPart[] = [];
    const error: unknown = await (async () => {
      for await (const part of stream.parts) seen.push(part);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ type: "text-delta", delta: "x" }]);
    expect(error).toMatchObject({ kind: "bad_response" });
  });

  it("rejects before any part when the first event is an error or there is none", async () => {
    const failing = context();
    await expect(
      readOpenAIChatStream(events(JSON.stringify({ error: { message: "boom" } })), failing.context),
    ).rejects.toMatchObject({ kind: "upstream_error" });
    expect(failing.state.cancelled).toBe(1);
    await expect(readOpenAIChatStream(events(), context().context)).rejects.toMatchObject({
      kind: "bad_response",
    });
  });

  it("finishes at once on an immediate [DONE]", async () => {
    const stream = await readOpenAIChatStream(events("[DONE]"), context().context);
    expect(await collect(stream.parts)).toEqual([finishPart("stop", 0, 0)]);
  });

  it("does not let an upstream that keeps the answer open after [DONE] hold the loop", async () => {
    const { state, context: ctx } = context();
    async function* neverEnding(): AsyncGenerator<SseEvent[]> {
      yield [{ data: chunk(delta({ content: "x" }, "stop")) }];
      yield [{ data: "[DONE]" }];
      await new Promise(() => undefined);
    }
    const started = performance.now();
    const parts = await collect((await readOpenAIChatStream(neverEnding(), ctx)).parts);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
    expect(performance.now() - started).toBeLessThan(2500);
    expect(state.cancelled).toBeGreaterThan(0);
  });

  it("releases the upstream when the parts are dropped unread", async () => {
    const { state, context: ctx } = context();
    const stream = await readOpenAIChatStream(events(chunk(delta({ content: "x" })), "[DONE]"), ctx);
    await stream.parts[Symbol.asyncIterator]().return?.();
    expect(state.cancelled).toBeGreaterThan(0);
  });
});

describe("parseOpenAIChatResponse", () => {
  const completion = {
    id: "chatcmpl-9",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-2024-08-06",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    system_fingerprint: "fp",
  };

  it("reads text, finish reason, usage and id; keeps the warnings", () => {
    const warnings = [{ setting: "n", message: "m" }];
    expect(parseOpenAIChatResponse(completion, WHERE, warnings)).toEqual({
      id: "chatcmpl-9",
      text: "Hello",
      toolCalls: [],
      finishReason: "stop",
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      warnings,
    });
  });

  it("reads reasoning apart from the text: reasoning_content, else reasoning; none when empty", () => {
    const withMessage = (message: Record<string, unknown>) =>
      parseOpenAIChatResponse(
        { ...completion, choices: [{ index: 0, message, finish_reason: "stop" }] },
        WHERE,
        [],
      );
    const deepseek = withMessage({ role: "assistant", content: "42", reasoning_content: "6 x 7" });
    expect([deepseek.text, deepseek.reasoning]).toEqual(["42", "6 x 7"]);
    expect(withMessage({ role: "assistant", content: "42", reasoning: "6 x 7" }).reasoning).toBe("6 x 7");
    expect(withMessage({ role: "assistant", content: "42", reasoning_content: "" })).not.toHaveProperty(
      "reasoning",
    );
    expect(
      withMessage({ role: "assistant", content: "42", reasoning: { effort: "low" } }),
    ).not.toHaveProperty("reasoning");
  });

  it("reads the choice's logprobs as OpenAI sends them, and none when null or absent", () => {
    const logprobs = { content: [token("Hello")], refusal: null };
    const result = parseOpenAIChatResponse(
      { ...completion, choices: [{ ...completion.choices[0], logprobs }] },
      WHERE,
      [],
    );
    expect(result.logprobs).toEqual(logprobs);
    expect(result.text).toBe("Hello");
    expect(parseOpenAIChatResponse(completion, WHERE, [])).not.toHaveProperty("logprobs");
    const withoutLogprobs = { index: 0, message: completion.choices[0]!.message, finish_reason: "stop" };
    expect(
      parseOpenAIChatResponse({ ...completion, choices: [withoutLogprobs] }, WHERE, []),
    ).not.toHaveProperty("logprobs");
  });

  it("leaves out malformed logprobs rather than failing an answer whose text is fine", () => {
    for (const logprobs of [
      "yes",
      { content: [{ token: "Hello" }] },
      { content: [token("Hello")], refusal: 1 },
    ]) {
      const result = parseOpenAIChatResponse(
        { ...completion, choices: [{ ...completion.choices[0], logprobs }] },
        WHERE,
        [],
      );
      expect(result.text).toBe("Hello");
      expect(result).not.toHaveProperty("logprobs");
    }
  });

  it("reads a refusal: content null, the refusal apart, its logprobs with it; none when null, empty or not text", () => {
    const logprobs = { content: null, refusal: [token("I")] };
    const refused = parseOpenAIChatResponse(
      {
        ...completion,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: null, refusal: "I can't help with that." },
            logprobs,
            finish_reason: "stop",
          },
        ],
      },
      WHERE,
      [],
    );
    expect(refused).toMatchObject({
      text: null,
      refusal: "I can't help with that.",
      finishReason: "stop",
      logprobs,
    });
    for (const refusal of [null, "", 7]) {
      const message = { role: "assistant", content: "Hello", refusal };
      expect(
        parseOpenAIChatResponse(
          { ...completion, choices: [{ ...completion.choices[0], message }] },
          WHERE,
          [],
        ),
      ).not.toHaveProperty("refusal");
    }
  });

  it("reads tool calls, content null", () => {
    const result = parseOpenAIChatResponse(
      {
        ...completion,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
            },
            finish_reason: "tool_calls",
          },
        ],
      },
      WHERE,
      [],
    );
    expect(result.text).toBeNull();
    expect(result.finishReason).toBe("tool_calls");
    expect(result.toolCalls).toEqual([
      { id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } },
    ]);
  });

  it("zero usage when absent, not invented", () => {
    expect(parseOpenAIChatResponse({ ...completion, usage: undefined }, WHERE, []).usage).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
    });
  });

  it("bad_response for a body of the wrong shape, naming the path and no value", () => {
    for (const body of [
      { choices: [] },
      { choices: "Hello" },
      { choices: [{ message: { content: 5 } }] },
      "x",
    ]) {
      expect(() => parseOpenAIChatResponse(body, WHERE, [])).toThrow(
        expect.objectContaining({ kind: "bad_response" }),
      );
    }
  });
});

describe("parseOpenAIEmbeddingsResponse", () => {
  it("orders the vectors by index and reads the usage", () => {
    const result = parseOpenAIEmbeddingsResponse(
      {
        object: "list",
        data: [
          { object: "embedding", index: 1, embedding: [0.5, 0.25] },
          { object: "embedding", index: 0, embedding: [1, 2] },
        ],
        model: "text-embedding-3-small",
        usage: { prompt_tokens: 4, total_tokens: 4 },
      },
      WHERE,
    );
    expect(result).toEqual({
      embeddings: [
        [1, 2],
        [0.5, 0.25],
      ],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });

  it("decodes base64 float32 vectors", () => {
    const base64 = Buffer.from(new Float32Array([0.5, -2]).buffer).toString("base64");
    const result = parseOpenAIEmbeddingsResponse({ data: [{ index: 0, embedding: base64 }] }, WHERE);
    expect(result.embeddings).toEqual([[0.5, -2]]);
    expect(result.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
  });

  it("bad_response for a string that is not base64 or not whole float32s", () => {
    for (const embedding of ["nope!", "not base64", "AAAA"]) {
      expect(
        () => parseOpenAIEmbeddingsResponse({ data: [{ index: 0, embedding }] }, WHERE),
        embedding,
      ).toThrow(expect.objectContaining({ kind: "bad_response" }));
    }
  });

  it("bad_response for the wrong shape", () => {
    expect(() => parseOpenAIEmbeddingsResponse({ data: [{ embedding: [1, "x"] }] }, WHERE)).toThrow(
      expect.objectContaining({ kind: "bad_response" }),
    );
  });
});

describe("readOpenAIError", () => {
  it("reads OpenAI's and Azure's message; the status decides the kind", () => {
    expect(
      readOpenAIError(400, { error: { message: "bad", type: "invalid_request_error", code: null } }),
    ).toEqual({
      message: "bad",
    });
    expect(readOpenAIError(429, { error: { code: "429", message: "slow down" } })).toEqual({
      message: "slow down",
    });
  });

  it("a 429 insufficient_quota is not worth a retry", () => {
    expect(
      readOpenAIError(429, {
        error: {
          message: "You exceeded your current quota",
          type: "insufficient_quota",
          code: "insufficient_quota",
        },
      }),
    ).toMatchObject({ kind: "upstream_error", isRetryable: false });
  });
});
