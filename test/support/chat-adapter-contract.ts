import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ChatAdapter, ChatRequest } from "../../src/providers/chat-spec.js";
import { createProviderDispatchers } from "../../src/providers/dispatchers.js";
import type { ProviderTarget, ProviderType } from "../../src/providers/spec.js";
import {
  collectParts,
  partsUntilThrow,
  providerFailure,
  streamedReasoning,
  streamedText,
} from "./chat-stream-parts.js";
import { reasoningFor, SLOW_CHUNKS } from "./fake-upstreams/echo-chat.js";
import type { FakeMode, FakeUpstream, FakeUpstreamOptions } from "./fake-upstreams/fake-server.js";

/**
 * What every chat adapter does against its fake upstream, whatever the wire format: the echo
 * answer, parts in order with exactly one finish (last, with usage), tool calls whole and streamed,
 * the length and stop finishes, errors mapped with isRetryable, and a stream that is cancelled
 * when the caller aborts or stops reading. Each providers-<format>-chat.test.ts runs it and adds
 * the assertions on its own wire format.
 *
 * Real: the adapter, undici, the guarded dispatcher (loopback allowed), sockets on 127.0.0.1.
 * Fake: the upstream (test/support/fake-upstreams/, answering as echo-chat.ts says).
 */
export interface ChatContractCase {
  name: string;
  adapter: ChatAdapter;
  providerType: ProviderType;
  start(options: FakeUpstreamOptions): Promise<FakeUpstream>;
  apiKey: string;
  model: string;
  /** What the fake answers a rejected key with (Gemini: 400). */
  unauthorizedStatus: number;
  retryAfterSeconds: number;
  /** The status and retryability of the error the fake sends mid-stream ("stream error"). */
  streamError: { status: number | undefined; isRetryable: boolean };
  /** Tool call ids: the upstream's own, or generated ones. */
  toolCallId: RegExp;
  /** The text the fake answers beside a tool call (Anthropic's says what it will call), or null. */
  textWithCall: string | null;
}

const TIMEOUT_MS = 2000;

const weatherTool: NonNullable<ChatRequest["tools"]>[number] = {
  type: "function",
  function: {
    name: "weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { text: { type: "string" } } },
  },
};

export function describeChatAdapterContract(c: ChatContractCase): void {
  describe(`${c.name} chat adapter contract`, () => {
    const dispatchers = createProviderDispatchers();
    let fake: FakeUpstream;

    const target = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
      providerType: c.providerType,
      baseUrl: fake.url,
      apiKey: c.apiKey,
      timeoutMs: TIMEOUT_MS,
      dispatcher: dispatchers.forPolicy({ allowPrivate: true }),
      ...overrides,
    });
    const request = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({
      model: c.model,
      messages: [{ role: "user", content: "Hello there" }],
      ...overrides,
    });

    beforeAll(async () => {
      fake = await c.start({ apiKey: c.apiKey, models: [c.model] });
    });
    afterEach(() => {
      fake.setMode("ok");
      fake.requests.length = 0;
    });
    afterAll(async () => {
      await fake.close();
      await dispatchers.close();
    });

    it("doGenerate: the echo, finish stop, usage counted", async () => {
      const result = await c.adapter.doGenerate(target(), request());
      expect(result.text).toBe("echo: Hello there");
      expect(result.reasoning).toBeUndefined();
      expect(result.toolCalls).toEqual([]);
      expect(result.finishReason).toBe("stop");
      expect(result.usage).toEqual({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
      expect(result.warnings).toEqual([]);
      expect(fake.requests).toHaveLength(1);
    });

    it("doGenerate: a tool call, with its arguments as a JSON string and finish tool_calls", async () => {
      const result = await c.adapter.doGenerate(
        target(),
        request({ messages: [{ role: "user", content: "please call tool" }], tools: [weatherTool] }),
      );
      expect(result.finishReason).toBe("tool_calls");
      expect(result.toolCalls).toEqual([
        {
          id: expect.stringMatching(c.toolCallId) as string,
          type: "function",
          function: { name: "weather", arguments: JSON.stringify({ text: "please call tool" }) },
        },
      ]);
    });

    it("doGenerate: the tool result goes back (the fake checks it answers the call) and is echoed", async () => {
      const first = await c.adapter.doGenerate(
        target(),
        request({ messages: [{ role: "user", content: "please call tool" }], tools: [weatherTool] }),
      );
      const call = first.toolCalls[0]!;
      const second = await c.adapter.doGenerate(
        target(),
        request({
          tools: [weatherTool],
          messages: [
            { role: "user", content: "please call tool" },
            { role: "assistant", content: first.text, tool_calls: [call] },
            { role: "tool", tool_call_id: call.id, content: "sunny" },
          ],
        }),
      );
      expect(second.text).toBe("echo: sunny");
      expect(second.finishReason).toBe("stop");
    });

    it("doGenerate: max_tokens cuts the answer, finish length; a stop sequence cuts it, finish stop", async () => {
      const long = await c.adapter.doGenerate(target(), request({ max_tokens: 2 }));
      expect(long.text).toBe("echo: Hello ");
      expect(long.finishReason).toBe("length");
      const stopped = await c.adapter.doGenerate(target(), request({ stop: ["there"] }));
      expect(stopped.text).toBe("echo: Hello ");
      expect(stopped.finishReason).toBe("stop");
    });

    it("doStream: text deltas in order, then exactly one finish, last, with usage", async () => {
      const stream = await c.adapter.doStream(target(), request());
      expect(stream.warnings).toEqual([]);
      const parts = await collectParts(stream.parts);
      expect(parts.filter((p) => p.type === "text-delta").map((p) => p.delta)).toEqual([
        "echo: ",
        "Hello ",
        "there",
      ]);
      expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
      expect(parts.at(-1)).toEqual({
        type: "finish",
        finishReason: "stop",
        usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
      });
    });

    it("doStream: a tool call streamed, the first delta with id and name, the arguments joining to the JSON", async () => {
      const stream = await c.adapter.doStream(
        target(),
        request({ messages: [{ role: "user", content: "please call tool" }], tools: [weatherTool] }),
      );
      const parts = await collectParts(stream.parts);
      const calls = parts.filter((p) => p.type === "tool-call-delta");
      expect(calls[0]).toMatchObject({
        index: 0,
        id: expect.stringMatching(c.toolCallId) as string,
        name: "weather",
      });
      expect(calls.every((p) => p.index === 0)).toBe(true);
      expect(calls.slice(1).every((p) => p.id === undefined && p.name === undefined)).toBe(true);
      expect(JSON.parse(calls.map((p) => p.argumentsDelta).join(""))).toEqual({ text: "please call tool" });
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "tool_calls" });
      expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
    });

    // OpenAI's reasoning_effort turns reasoning on where the upstream needs asking (Anthropic's
    // thinking, Gemini's includeThoughts, Ollama's think); the fakes reason only when asked so.
    const thinking: Partial<ChatRequest> = {
      messages: [{ role: "user", content: "Please think first" }],
      extra: { reasoning_effort: "low" },
    };

    it("doGenerate: reasoning the upstream returns apart from the answer is kept apart", async () => {
      const result = await c.adapter.doGenerate(target(), request(thinking));
      expect(result.warnings).toEqual([]);
      expect(result.reasoning).toBe(reasoningFor("Please think first"));
      expect(result.text).toBe("echo: Please think first");
      expect(result.finishReason).toBe("stop");
    });

    it("doStream: reasoning deltas as they come, all before the text, then one finish", async () => {
      const stream = await c.adapter.doStream(target(), request(thinking));
      expect(stream.warnings).toEqual([]);
      const parts = await collectParts(stream.parts);
      const reasoning = parts.filter((p) => p.type === "reasoning-delta");
      expect(reasoning.length).toBeGreaterThan(1);
      expect(streamedReasoning(parts)).toBe(reasoningFor("Please think first"));
      const firstText = parts.findIndex((p) => p.type === "text-delta");
      expect(firstText).toBeGreaterThan(parts.lastIndexOf(reasoning.at(-1)!));
      expect(streamedText(parts)).toBe("echo: Please think first");
      expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
    });

    const thinkThenCall: Partial<ChatRequest> = {
      messages: [{ role: "user", content: "Please think first, then call tool" }],
      tools: [weatherTool],
      extra: { reasoning_effort: "low" },
    };

    it("doGenerate: a reasoning_effort the format has no answer for is reported and not sent; the call answers", async () => {
      const result = await c.adapter.doGenerate(
        target(),
        request({ ...thinking, extra: { reasoning_effort: "maximum" } }),
      );
      expect(result.warnings).toEqual([
        { setting: "reasoning_effort", message: expect.stringContaining('not "maximum"') as string },
      ]);
      expect(fake.requests.at(-1)?.body).not.toContain("maximum");
      expect(result.reasoning).toBeUndefined();
      expect(result.text).toBe("echo: Please think first");
    });

    it("doGenerate: reasoning before a tool call is kept apart from the call", async () => {
      const result = await c.adapter.doGenerate(target(), request(thinkThenCall));
      expect(result.text).toBe(c.textWithCall);
      expect(result.reasoning).toBe(reasoningFor("Please think first, then call tool"));
      expect(result.toolCalls.map((call) => call.function.name)).toEqual(["weather"]);
      expect(result.finishReason).toBe("tool_calls");
    });

    it("doStream: reasoning deltas before the tool call's deltas, then one finish", async () => {
      const parts = await collectParts((await c.adapter.doStream(target(), request(thinkThenCall))).parts);
      const reasoning = parts.filter((p) => p.type === "reasoning-delta");
      expect(streamedReasoning(parts)).toBe(reasoningFor("Please think first, then call tool"));
      expect(streamedText(parts)).toBe(c.textWithCall ?? "");
      expect(parts.findIndex((p) => p.type === "tool-call-delta")).toBeGreaterThan(
        parts.lastIndexOf(reasoning.at(-1)!),
      );
      expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "tool_calls" });
    });

    it("doStream: max_tokens -> finish length", async () => {
      const parts = await collectParts(
        (await c.adapter.doStream(target(), request({ max_tokens: 2 }))).parts,
      );
      expect(streamedText(parts)).toBe("echo: Hello ");
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "length" });
    });

    const errorCases: { mode: FakeMode; kind: string; status: () => number; retryable: boolean }[] = [
      { mode: "unauthorized", kind: "auth", status: () => c.unauthorizedStatus, retryable: false },
      { mode: "rate_limited", kind: "rate_limited", status: () => 429, retryable: true },
      { mode: "server_error", kind: "upstream_error", status: () => 500, retryable: true },
    ];
    for (const method of ["doGenerate", "doStream"] as const) {
      for (const e of errorCases) {
        it(`${method}: ${e.mode} -> ${e.kind}, ${e.retryable ? "" : "not "}retryable, message without the key`, async () => {
          fake.setMode(e.mode);
          const error = await providerFailure(c.adapter[method](target(), request()));
          expect(error.kind).toBe(e.kind);
          expect(error.status).toBe(e.status());
          expect(error.isRetryable).toBe(e.retryable);
          expect(error.message).not.toContain(c.apiKey);
          if (e.mode === "rate_limited") expect(error.retryAfterSeconds).toBe(c.retryAfterSeconds);
        });
      }
    }

    it("doStream: a wrong key is the upstream's auth error, before any part", async () => {
      const error = await providerFailure(
        c.adapter.doStream(target({ apiKey: `${c.apiKey}-wrong` }), request()),
      );
      expect(error.kind).toBe("auth");
    });

    it("doGenerate: a 200 of the wrong shape is bad_response", async () => {
      fake.setMode("wrong_shape");
      const error = await providerFailure(c.adapter.doGenerate(target(), request()));
      expect(error.kind).toBe("bad_response");
      expect(error.isRetryable).toBe(false);
    });

    it("doStream: a 200 HTML page is bad_response before any part", async () => {
      fake.setMode("garbage");
      const error = await providerFailure(c.adapter.doStream(target(), request()));
      expect(error.kind).toBe("bad_response");
      expect(error.message).toContain("text/html");
    });

    it("doStream: an error mid-stream ends the parts by throwing, after what came before", async () => {
      const stream = await c.adapter.doStream(
        target(),
        request({ messages: [{ role: "user", content: "stream error" }] }),
      );
      const { parts, error } = await partsUntilThrow(stream.parts);
      expect(parts).toEqual([{ type: "text-delta", delta: "echo: " }]);
      expect(error).toMatchObject({ status: c.streamError.status, isRetryable: c.streamError.isRetryable });
      expect((error as Error).message).toContain("mid-stream");
    });

    it("doStream: a stream cut before its end is bad_response, and no finish is made up", async () => {
      const stream = await c.adapter.doStream(
        target(),
        request({ messages: [{ role: "user", content: "cut stream" }] }),
      );
      const { parts, error } = await partsUntilThrow(stream.parts);
      expect(parts.some((p) => p.type === "finish")).toBe(false);
      expect(error).toMatchObject({ kind: "bad_response" });
    });

    it("doStream: the caller's abort mid-stream rejects with its reason and closes the upstream connection", async () => {
      const controller = new AbortController();
      const reason = new Error("client went away");
      const stream = await c.adapter.doStream(
        target(),
        request({ messages: [{ role: "user", content: "slow stream" }] }),
        controller.signal,
      );
      let seen = 0;
      const read = (async () => {
        for await (const part of stream.parts) {
          if (part.type === "text-delta") seen++;
          if (seen === 3) controller.abort(reason);
        }
      })();
      await expect(read).rejects.toBe(reason);
      expect(seen).toBeLessThan(SLOW_CHUNKS);
      await vi.waitFor(() => expect(fake.requests[0]!.closedEarly).toBe(true));
    });

    it("doStream: a consumer that stops reading closes the upstream connection", async () => {
      const stream = await c.adapter.doStream(
        target(),
        request({ messages: [{ role: "user", content: "slow stream" }] }),
      );
      for await (const part of stream.parts) {
        expect(part.type).toBe("text-delta");
        break;
      }
      await vi.waitFor(() => expect(fake.requests[0]!.closedEarly).toBe(true));
    });

    it("doStream: parts never read, returned at once, still close the upstream connection", async () => {
      const stream = await c.adapter.doStream(
        target(),
        request({ messages: [{ role: "user", content: "slow stream" }] }),
      );
      await stream.parts[Symbol.asyncIterator]().return?.();
      await vi.waitFor(() => expect(fake.requests[0]!.closedEarly).toBe(true));
    });

    it("doStream: a whole stream never read, then returned, ends quietly (no uncaught abort error)", async () => {
      const stream = await c.adapter.doStream(target(), request());
      // Let the whole short answer arrive unread.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await stream.parts[Symbol.asyncIterator]().return?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
    });

    it("doGenerate: the caller's abort rejects with its reason", async () => {
      fake.setMode("slow");
      const controller = new AbortController();
      const reason = new Error("gone");
      setTimeout(() => controller.abort(reason), 50);
      await expect(
        c.adapter.doGenerate(target({ timeoutMs: 5000 }), request(), controller.signal),
      ).rejects.toBe(reason);
    });

    it("doStream: a 200 and then no event (keep-alives only) fails within timeoutMs, retryable, and closes the upstream connection", async () => {
      fake.setMode("stalled_stream");
      const started = performance.now();
      const error = await providerFailure(c.adapter.doStream(target({ timeoutMs: 300 }), request()));
      expect(error.kind).toBe("timeout");
      expect(error.isRetryable).toBe(true);
      // The fake stalls for 5 s and the idle timeout is 60 s: only the connection's timeout ends it.
      expect(performance.now() - started).toBeLessThan(2500);
      await vi.waitFor(() => expect(fake.requests[0]!.closedEarly).toBe(true));
    });

    it("doStream: the parts end at the finish even when the upstream keeps the body open after it", async () => {
      fake.setMode("open_after_answer");
      const started = performance.now();
      const stream = await c.adapter.doStream(target(), request());
      const parts = await collectParts(stream.parts);
      expect(streamedText(parts)).toBe("echo: Hello there");
      expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
      // The fake holds the body for 5 s after the answer; a short drain, then the upstream is let go.
      expect(performance.now() - started).toBeLessThan(3000);
    });

    it("doStream: no answer within timeoutMs -> timeout, retryable", async () => {
      fake.setMode("slow");
      const error = await providerFailure(c.adapter.doStream(target({ timeoutMs: 200 }), request()));
      expect(error.kind).toBe("timeout");
      expect(error.isRetryable).toBe(true);
    });
  });
}
