import { describe, expect, it } from "vitest";
import type { ChatRequest, ChatStreamPart } from "../../src/providers/chat-spec.js";
import { ChatWarnings } from "../../src/providers/chat-warnings.js";
import { convertToAnthropicRequest } from "../../src/providers/anthropic/convert-to-anthropic-request.js";
import { convertToGoogleRequest } from "../../src/providers/google/convert-to-google-request.js";
import { convertToOllamaRequest } from "../../src/providers/ollama/convert-to-ollama-request.js";
import { convertToOpenAIRequest } from "../../src/providers/openai/convert-to-openai-request.js";
import type { UpstreamStream } from "../../src/providers/http.js";
import { parseDataUrl } from "../../src/providers/parse-data-url.js";
import { parseToolArguments } from "../../src/providers/parse-tool-arguments.js";
import {
  readReasoningEffort,
  stopSequencesOf,
  textOf,
  warnUnhandledExtras,
} from "../../src/providers/read-chat-request.js";
import {
  chatStreamParts,
  startChatStream,
  expectStreamContentType,
  type ChatStreamParser,
} from "../../src/providers/run-chat-stream-parser.js";

// Pure functions and an in-memory event source; nothing to fake.

describe("parseDataUrl", () => {
  it("reads base64 payloads and their media type", () => {
    expect(parseDataUrl("data:image/png;base64,iVBORw0KGgo=")).toEqual({
      mediaType: "image/png",
      base64: "iVBORw0KGgo=",
    });
    expect(parseDataUrl("data:IMAGE/JPEG;base64,/9j/\n4AA=")).toEqual({
      mediaType: "image/jpeg",
      base64: "/9j/4AA=",
    });
  });

  it("re-encodes a percent-encoded payload as base64; text/plain when no type is named", () => {
    expect(parseDataUrl("data:image/svg+xml,%3Csvg%2F%3E")).toEqual({
      mediaType: "image/svg+xml",
      base64: Buffer.from("<svg/>").toString("base64"),
    });
    expect(parseDataUrl("data:,hi")).toEqual({ mediaType: "text/plain", base64: "aGk=" });
  });

  it("refuses what is not a data: URL or not base64", () => {
    expect(parseDataUrl("https://example.com/a.png")).toBeUndefined();
    expect(parseDataUrl("data:image/png;base64,not*base64")).toBeUndefined();
    expect(parseDataUrl("data:image/png;base64")).toBeUndefined();
  });
});

describe("parseToolArguments", () => {
  it("parses a JSON object; empty is {}; anything else is {} and not ok", () => {
    expect(parseToolArguments('{"a":1}')).toEqual({ value: { a: 1 }, ok: true });
    expect(parseToolArguments("  ")).toEqual({ value: {}, ok: true });
    expect(parseToolArguments("[1]")).toEqual({ value: {}, ok: false });
    expect(parseToolArguments("{")).toEqual({ value: {}, ok: false });
  });
});

describe("request readers", () => {
  it("textOf joins text parts and skips images; stopSequencesOf lists stop", () => {
    expect(
      textOf([
        { type: "text", text: "a" },
        { type: "image_url", image_url: { url: "data:," } },
        { type: "text", text: "b" },
      ]),
    ).toBe("ab");
    expect(textOf(null)).toBe("");
    expect(stopSequencesOf({ model: "m", messages: [], stop: "x" })).toEqual(["x"]);
    expect(stopSequencesOf({ model: "m", messages: [], stop: [] })).toBeUndefined();
  });

  it("warnUnhandledExtras reports each unhandled extra once, skipping null and neutral values", () => {
    const warnings = new ChatWarnings();
    const request = {
      model: "m",
      messages: [],
      extra: {
        n: 2,
        logprobs: false,
        top_logprobs: 0,
        service_tier: null,
        parallel_tool_calls: true,
        seed: 1,
      },
    };
    warnUnhandledExtras(request, ["seed"], "X", warnings);
    warnUnhandledExtras(request, ["seed"], "X", warnings);
    expect(warnings.list).toEqual([{ setting: "n", message: "X does not support n; it was not sent" }]);
  });

  it("readReasoningEffort gives a level the format takes; not sent or null is nothing; any other value is reported", () => {
    const levels = ["none", "low", "high"] as const;
    const read = (effort: unknown) => {
      const warnings = new ChatWarnings();
      const level = readReasoningEffort(
        {
          model: "m",
          messages: [],
          ...(effort === undefined ? {} : { extra: { reasoning_effort: effort } }),
        },
        levels,
        "X",
        warnings,
      );
      return { level, warnings: warnings.list };
    };
    expect(read("low")).toEqual({ level: "low", warnings: [] });
    expect(read("none")).toEqual({ level: "none", warnings: [] });
    expect(read(undefined)).toEqual({ level: undefined, warnings: [] });
    expect(read(null)).toEqual({ level: undefined, warnings: [] });
    for (const effort of ["medium", "LOW", 1, { effort: "low" }]) {
      expect(read(effort)).toEqual({
        level: undefined,
        warnings: [
          {
            setting: "reasoning_effort",
            message: `X takes reasoning_effort none, low, high, not ${JSON.stringify(effort)}; it was not sent`,
          },
        ],
      });
    }
  });
});

describe("logprobs on the wire formats that cannot return them", () => {
  // Only OpenAI-compatible upstreams answer logprobs; every other adapter must say it did not send them.
  const request = {
    model: "m",
    messages: [{ role: "user" as const, content: "hi" }],
    max_tokens: 10,
    extra: { logprobs: true, top_logprobs: 2 },
  };
  it.each([
    ["Anthropic", () => convertToAnthropicRequest(request, { stream: false })],
    ["Gemini", () => convertToGoogleRequest(request)],
    ["Ollama", () => convertToOllamaRequest(request, { stream: false })],
  ] as const)("%s warns for logprobs and top_logprobs and sends neither", (upstream, convert) => {
    const { body, warnings } = convert();
    expect(warnings).toEqual([
      { setting: "logprobs", message: `${upstream} does not support logprobs; it was not sent` },
      { setting: "top_logprobs", message: `${upstream} does not support top_logprobs; it was not sent` },
    ]);
    expect(JSON.stringify(body)).not.toContain("logprobs");
  });
});

describe("an assistant message that only calls tools, its content left out", () => {
  // OpenAI's clients leave `content` out of such a message; it reached the converters as undefined
  // and failed them (a 500, found by gateway.fuzz.test.ts).
  const request = {
    model: "m",
    max_tokens: 10,
    messages: [
      { role: "user" as const, content: "weather?" },
      {
        role: "assistant" as const,
        tool_calls: [
          { id: "call_1", type: "function" as const, function: { name: "weather", arguments: "{}" } },
        ],
      },
      { role: "tool" as const, tool_call_id: "call_1", content: "sunny" },
    ],
  };
  it.each([
    ["Anthropic", () => convertToAnthropicRequest(request, { stream: false })],
    ["Gemini", () => convertToGoogleRequest(request)],
    ["Ollama", () => convertToOllamaRequest(request, { stream: false })],
  ] as const)("%s sends the call with no text and no warning", (_upstream, convert) => {
    const { body, warnings } = convert();
    expect(warnings).toEqual([]);
    expect(JSON.stringify(body)).toContain("weather");
    expect(JSON.stringify(body)).not.toContain("undefined");
  });
});

describe("reasoning blocks (thinking_blocks) on the wire formats that cannot take them back", () => {
  // Only Anthropic takes its signed thinking back; every other adapter must say it did not send it.
  const signature = "c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw==";
  const request: ChatRequest = {
    model: "m",
    max_tokens: 10,
    messages: [
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: "Let me look.",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } }],
        reasoningBlocks: [
          { type: "reasoning", text: "The user wants the weather.", signature },
          { type: "redacted-reasoning", data: "EmwKAhgBEgy3va3pzix" },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
    ],
  };
  it.each([
    ["Gemini", () => convertToGoogleRequest(request)],
    ["Ollama", () => convertToOllamaRequest(request, { stream: false })],
    ["OpenAI-format upstreams", () => convertToOpenAIRequest(request, { stream: false })],
  ] as const)("%s warns once and sends the turn without them", (upstream, convert) => {
    const { body, warnings } = convert();
    expect(warnings).toEqual([
      {
        setting: "messages[].thinking_blocks",
        message: `${upstream} ${upstream.endsWith("s") ? "do" : "does"} not take thinking_blocks back; they were not sent`,
      },
    ]);
    const sent = JSON.stringify(body);
    expect(sent).toContain("weather");
    for (const gone of [signature, "EmwKAhgBEgy3va3pzix", "The user wants", "reasoningBlocks", "thinking"]) {
      expect(sent).not.toContain(gone);
    }
  });

  it("the OpenAI format keeps the caller's messages as they are when none has them (no copy)", () => {
    const plain: ChatRequest = { model: "m", messages: [{ role: "user", content: "hi" }] };
    expect(convertToOpenAIRequest(plain, { stream: false }).body.messages).toBe(plain.messages);
    // The caller's message is not changed by the copy that leaves the blocks out.
    convertToOpenAIRequest(request, { stream: false });
    expect(request.messages[1]).toHaveProperty("reasoningBlocks");
  });
});

/** Events from an array, recording whether the source was returned (cancelled) early. */
/** Events in batches, as sse.ts hands them over: a number is a batch of one, an array a batch. */
function source(events: (number | number[])[]) {
  const state = { returned: false, cancelled: 0 };
  let i = 0;
  const iterator: AsyncIterator<readonly number[]> = {
    next: () => {
      if (i >= events.length) return Promise.resolve({ done: true, value: undefined });
      const batch = events[i++]!;
      return Promise.resolve({ done: false, value: Array.isArray(batch) ? batch : [batch] });
    },
    return: () => {
      state.returned = true;
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return { iterator, state, cancel: () => void state.cancelled++ };
}

const counting: () => ChatStreamParser<number> = () => ({
  push: (n) => [{ type: "text-delta", delta: String(n) }],
  end: () => [
    {
      type: "finish",
      finishReason: "stop",
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    },
  ],
});

describe("chatStreamParts", () => {
  it("yields the first parts, then each event's parts, then the end's; a source read to its end is not cancelled", async () => {
    const { iterator, state, cancel } = source([1, [2, 3]]);
    const parts: ChatStreamPart[] = [];
    for await (const part of chatStreamParts(iterator, counting(), {
      cancel,
      start: { first: [{ type: "text-delta", delta: "0" }], rest: [], ended: false },
    })) {
      parts.push(part);
    }
    expect(parts.map((p) => (p.type === "text-delta" ? p.delta : p.type))).toEqual([
      "0",
      "1",
      "2",
      "3",
      "finish",
    ]);
    expect(state).toEqual({ returned: false, cancelled: 0 });
  });

  it("breaking out cancels the upstream and returns the source", async () => {
    const { iterator, state, cancel } = source([1, 2, 3]);
    for await (const part of chatStreamParts(iterator, counting(), { cancel })) {
      expect(part).toEqual({ type: "text-delta", delta: "1" });
      break;
    }
    expect(state.returned).toBe(true);
    expect(state.cancelled).toBeGreaterThan(0);
  });

  it("return() before the first next() still cancels (an async generator alone would skip its finally)", async () => {
    const { iterator, state, cancel } = source([1]);
    const parts = chatStreamParts(iterator, counting(), { cancel });
    await parts.return!();
    expect(state.cancelled).toBeGreaterThan(0);
    expect(await parts.next()).toEqual({ done: true, value: undefined });
  });

  it("a parser error cancels and is thrown to the consumer", async () => {
    const { iterator, state, cancel } = source([1, 2]);
    const parser: ChatStreamParser<number> = {
      push: (n) => {
        if (n === 2) throw new Error("bad event");
        return [];
      },
      end: () => [],
    };
    const parts = chatStreamParts(iterator, parser, { cancel });
    await expect(parts.next()).rejects.toThrow("bad event");
    expect(state).toMatchObject({ returned: true });
    expect(state.cancelled).toBeGreaterThan(0);
  });
});

describe("chatStreamParts after the finish", () => {
  /** A text delta per number, the finish at 0. */
  const finishingAtZero = (): ChatStreamParser<number> => ({
    push: (n) => (n === 0 ? counting().end() : [{ type: "text-delta", delta: String(n) }]),
    end: () => [],
  });

  it("return() after the finish reads the rest of the body instead of cancelling it", async () => {
    const { iterator, state, cancel } = source([[1, 0], 7]);
    const parts = chatStreamParts(iterator, finishingAtZero(), { cancel });
    expect((await parts.next()).value).toMatchObject({ type: "text-delta" });
    expect((await parts.next()).value).toMatchObject({ type: "finish" });
    await parts.return!();
    expect(state).toEqual({ returned: false, cancelled: 0 }); // read to its end: the socket is reusable
    expect(await parts.next()).toEqual({ done: true, value: undefined });
  });

  it("return() before the finish cancels", async () => {
    const { iterator, state, cancel } = source([[1], 0]);
    const parts = chatStreamParts(iterator, finishingAtZero(), { cancel });
    await parts.next();
    await parts.return!();
    expect(state.returned).toBe(true);
    expect(state.cancelled).toBeGreaterThan(0);
  });
});

describe("startChatStream", () => {
  const failingOn = (bad: number): ChatStreamParser<number> => ({
    push: (n) => {
      if (n === bad) throw new Error(`bad event ${n}`);
      return [{ type: "text-delta", delta: String(n) }];
    },
    end: () => [],
  });

  const notStarted = () => {
    throw new Error("started() was called");
  };

  it("throws an error among the first events itself, and releases the upstream without saying it started", async () => {
    const { iterator, state, cancel } = source([[1, 2]]);
    await expect(
      startChatStream(iterator, failingOn(1), {
        cancel,
        started: notStarted,
        enough: (first) => first.length > 0,
      }),
    ).rejects.toThrow("bad event 1");
    expect(state).toMatchObject({ returned: true });
    expect(state.cancelled).toBeGreaterThan(0);
  });

  it("says it started (the connection's timeout stops) only once enough has come", async () => {
    const { iterator, cancel } = source([[1], [2]]);
    let started = 0;
    let readAtStart = -1;
    const seen: number[] = [];
    const parser: ChatStreamParser<number> = {
      push: (n) => {
        seen.push(n);
        return n === 2 ? [{ type: "text-delta", delta: "2" }] : [];
      },
      end: () => [],
    };
    await startChatStream(iterator, parser, {
      cancel,
      started: () => {
        started++;
        readAtStart = seen.length;
      },
      enough: (first) => first.length > 0,
    });
    expect(started).toBe(1);
    expect(readAtStart).toBe(2);
  });

  it("keeps the rest of the read for later, so an error after the start comes after the parts before it", async () => {
    const { iterator, cancel } = source([[1, 2, 3]]);
    const parts = await startChatStream(iterator, failingOn(3), {
      cancel,
      started: () => undefined,
      enough: (first) => first.length > 0,
    });
    const seen: string[] = [];
    const error: unknown = await (async () => {
      for await (const part of parts) if (part.type === "text-delta") seen.push(part.delta);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["1", "2"]);
    expect(error).toMatchObject({ message: "bad event 3" });
  });

  it("ends at once when the body ended during the start, without asking the parser to end twice", async () => {
    const { iterator, cancel } = source([]);
    let ends = 0;
    const parser: ChatStreamParser<number> = { push: () => [], end: () => (ends++, counting().end()) };
    const parts = await startChatStream(iterator, parser, {
      cancel,
      started: () => undefined,
      enough: () => false,
    });
    const all: ChatStreamPart[] = [];
    for await (const part of parts) all.push(part);
    expect(all.map((p) => p.type)).toEqual(["finish"]);
    expect(ends).toBe(1);
  });
});

describe("expectStreamContentType", () => {
  const response = (type: string | undefined): UpstreamStream & { cancelled: boolean } => {
    const r = {
      status: 200,
      headers: type === undefined ? {} : { "content-type": type },
      body: (async function* () {})(),
      cancelled: false,
      cancel() {
        r.cancelled = true;
      },
      started() {},
    };
    return r;
  };

  it("lets the expected type and a missing one through; anything else is bad_response and cancels", () => {
    expect(() =>
      expectStreamContentType(
        response("text/event-stream; charset=utf-8"),
        /^text\/event-stream/,
        "SSE",
        "h",
      ),
    ).not.toThrow();
    expect(() =>
      expectStreamContentType(response(undefined), /^text\/event-stream/, "SSE", "h"),
    ).not.toThrow();
    const html = response("text/html; charset=utf-8");
    expect(() => expectStreamContentType(html, /^text\/event-stream/, "an event stream", "h")).toThrow(
      "h answered HTTP 200 with text/html, not an event stream",
    );
    expect(html.cancelled).toBe(true);
  });
});
