import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest, ChatStreamPart, ChatTool } from "../../src/providers/chat-spec.js";
import { createProviderDispatchers } from "../../src/providers/dispatchers.js";
import { ProviderError } from "../../src/providers/errors.js";
import { postJson, postStream } from "../../src/providers/http.js";
import { azureOpenAIAdapter } from "../../src/providers/openai/azure-openai-adapter.js";
import { openaiAdapter } from "../../src/providers/openai/openai-adapter.js";
import { readOpenAIError } from "../../src/providers/openai/openai-error.js";
import { adapterFor } from "../../src/providers/registry.js";
import type { ProviderTarget, ProviderType } from "../../src/providers/spec.js";
import { startFakeAzureOpenAI } from "../support/fake-upstreams/azure-openai.js";
import type {
  FakeUpstream,
  FakeUpstreamOptions,
  RecordedRequest,
} from "../support/fake-upstreams/fake-server.js";
import {
  FAKE_TOOL_CALL_ID,
  fakeEmbedding,
  logprobFor,
  REFUSAL,
} from "../support/fake-upstreams/openai-chat.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { finishPart } from "../support/chat-stream-parts.js";

// Real: the adapters, undici, the guarded dispatcher, SSE parsing, sockets on 127.0.0.1.
// Fake: the upstreams (node:http servers answering Chat Completions and Embeddings as OpenAI and
// Azure do, test/support/fake-upstreams/openai-chat.ts).

const TIMEOUT_MS = 300;
const dispatchers = createProviderDispatchers();
const loopbackOk = dispatchers.forPolicy({ allowPrivate: true });
afterAll(() => dispatchers.close());

const WEATHER: ChatTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  },
};

const ZERO_USAGE = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

interface FormatCase {
  name: string;
  providerType: ProviderType;
  start(options: FakeUpstreamOptions): Promise<FakeUpstream>;
  baseUrlOf(fake: FakeUpstream): string;
  apiKey: string;
  authHeader: string;
  authValue(key: string): string;
  /** The path (and query) a chat call for `model` goes to. */
  chatPath(model: string): string;
  embeddingsPath(model: string): string;
  retryAfterSeconds: number;
  extraTarget?: Partial<ProviderTarget>;
}

const cases: FormatCase[] = [
  {
    name: "openai",
    providerType: "openai",
    start: startFakeOpenAI,
    baseUrlOf: (fake) => `${fake.url}/v1`,
    apiKey: "sk-proj-ChatTestKey0123456789abcdefXYZ",
    authHeader: "authorization",
    authValue: (key) => `Bearer ${key}`,
    chatPath: () => "/v1/chat/completions",
    embeddingsPath: () => "/v1/embeddings",
    retryAfterSeconds: 20,
  },
  {
    name: "azure-openai",
    providerType: "azure-openai",
    start: startFakeAzureOpenAI,
    baseUrlOf: (fake) => fake.url,
    apiKey: "0123456789abcdef0123456789abcdef",
    authHeader: "api-key",
    authValue: (key) => key,
    chatPath: (model) => `/openai/deployments/${model}/chat/completions?api-version=2024-10-21`,
    embeddingsPath: (model) => `/openai/deployments/${model}/embeddings?api-version=2024-10-21`,
    retryAfterSeconds: 6,
    extraTarget: { azure: { apiVersion: "2024-10-21" } },
  },
];

function header(request: RecordedRequest | undefined, name: string): string | undefined {
  const value = request?.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

async function collect(parts: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const out: ChatStreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

async function until(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function chat(text: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: "gpt-4o",
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content: text },
    ],
    ...overrides,
  };
}

describe.each(cases)("$name chat", (c) => {
  let fake: FakeUpstream;
  const adapter = c.providerType === "azure-openai" ? azureOpenAIAdapter : openaiAdapter;

  const target = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    providerType: c.providerType,
    baseUrl: c.baseUrlOf(fake),
    apiKey: c.apiKey,
    timeoutMs: TIMEOUT_MS,
    dispatcher: loopbackOk,
    ...c.extraTarget,
    ...overrides,
  });

  beforeAll(async () => {
    fake = await c.start({ apiKey: c.apiKey });
  });
  afterEach(() => {
    fake.setMode("ok");
    fake.requests.length = 0;
  });
  afterAll(() => fake.close());

  it("a connection's own content-type or accept (a row stored before they were refused) never replaces ours", async () => {
    const headers = { "Content-Type": "text/plain", Accept: "text/html" };
    await adapter.doGenerate(target({ headers }), chat("plain"));
    const stream = await adapter.doStream(target({ headers }), chat("plain"));
    for await (const part of stream.parts) void part;
    expect(fake.requests).toHaveLength(2);
    expect(header(fake.requests[0]!, "content-type")).toBe("application/json");
    expect(header(fake.requests[0]!, "accept")).toBe("application/json");
    expect(header(fake.requests[1]!, "content-type")).toBe("application/json");
    expect(header(fake.requests[1]!, "accept")).toBe("text/event-stream");
  });

  it("adapterFor() returns the one object with listing and chat", () => {
    expect(adapterFor(c.providerType)).toBe(adapter);
    expect(typeof adapter.listModels).toBe("function");
    expect(typeof adapter.doGenerate).toBe("function");
  });

  it("doGenerate: the completion's text, finish reason, usage and id; the key in its header", async () => {
    const result = await adapter.doGenerate(target(), chat("hello there", { temperature: 0.5, seed: 3 }));
    expect(result).toEqual({
      id: expect.stringMatching(/^chatcmpl-/) as unknown,
      text: "echo: hello there",
      toolCalls: [],
      finishReason: "stop",
      // prompt: "You are terse." + "hello there" = 5 words; completion: "echo: ", "hello ", "there".
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
      warnings: [],
    });
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(c.chatPath("gpt-4o"));
    expect(header(request, c.authHeader)).toBe(c.authValue(c.apiKey));
    expect(header(request, "content-type")).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({
      model: "gpt-4o",
      messages: chat("").messages.map((m) => (m.role === "user" ? { ...m, content: "hello there" } : m)),
      temperature: 0.5,
      seed: 3,
    });
  });

  it("doStream: deltas in order, then exactly one finish with the usage chunk's counts", async () => {
    const stream = await adapter.doStream(target(), chat("hello streaming world"));
    expect(stream.warnings).toEqual([]);
    expect(stream.id).toMatch(/^chatcmpl-/);
    const parts = await collect(stream.parts);
    const finishes = parts.filter((p) => p.type === "finish");
    expect(finishes).toEqual([finishPart("stop", 6, 4)]);
    expect(parts.at(-1)).toBe(finishes[0]);
    const deltas = parts.filter((p) => p.type === "text-delta");
    expect(deltas.map((p) => p.delta)).toEqual(["echo: ", "hello ", "streaming ", "world"]);
    const sent = JSON.parse(fake.requests[0]!.body) as Record<string, unknown>;
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(header(fake.requests[0], "accept")).toBe("text/event-stream");
  });

  it("an upstream that sends no usage: the finish carries zeros, not invented (stream and generate)", async () => {
    const parts = await collect((await adapter.doStream(target(), chat("no usage here"))).parts);
    expect(parts.filter((p) => p.type === "finish")).toEqual([
      { type: "finish", finishReason: "stop", usage: ZERO_USAGE },
    ]);
    expect((await adapter.doGenerate(target(), chat("no usage here"))).usage).toEqual(ZERO_USAGE);
  });

  it("doGenerate with tools: the tool call, finish tool_calls", async () => {
    const result = await adapter.doGenerate(target(), chat("please call tool now", { tools: [WEATHER] }));
    expect(result.text).toBeNull();
    expect(result.finishReason).toBe("tool_calls");
    expect(result.toolCalls).toEqual([
      {
        id: FAKE_TOOL_CALL_ID,
        type: "function",
        function: { name: "get_weather", arguments: JSON.stringify({ text: "please call tool now" }) },
      },
    ]);
    expect(JSON.parse(fake.requests[0]!.body)).toMatchObject({ tools: [WEATHER] });
  });

  it("doStream with tools: id and name first, the arguments over several deltas, finish tool_calls", async () => {
    const parts = await collect(
      (await adapter.doStream(target(), chat("call tool please", { tools: [WEATHER] }))).parts,
    );
    const calls = parts.filter(
      (p): p is Extract<ChatStreamPart, { type: "tool-call-delta" }> => p.type === "tool-call-delta",
    );
    expect(calls[0]).toEqual({
      type: "tool-call-delta",
      index: 0,
      id: FAKE_TOOL_CALL_ID,
      name: "get_weather",
      argumentsDelta: "",
    });
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.slice(1).every((p) => p.id === undefined && p.name === undefined && p.index === 0)).toBe(
      true,
    );
    expect(calls.map((p) => p.argumentsDelta).join("")).toBe(JSON.stringify({ text: "call tool please" }));
    expect(parts.filter((p) => p.type === "text-delta")).toEqual([]);
    expect(parts.filter((p) => p.type === "finish")).toHaveLength(1);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "tool_calls" });
  });

  it("logprobs: on the result, and on each streamed text-delta with that delta's tokens", async () => {
    const asked = chat("hello there", { extra: { logprobs: true, top_logprobs: 3 } });
    const result = await adapter.doGenerate(target(), asked);
    const tokens = result.logprobs?.content ?? [];
    expect(tokens.map((t) => t.token)).toEqual(["echo: ", "hello ", "there"]);
    expect(tokens.map((t) => t.logprob)).toEqual([0, 1, 2].map(logprobFor));
    expect(tokens.every((t) => t.top_logprobs.length === 3)).toBe(true);
    expect(result.logprobs?.refusal).toBeNull();

    const parts = await collect((await adapter.doStream(target(), asked)).parts);
    const deltas = parts.filter(
      (p): p is Extract<ChatStreamPart, { type: "text-delta" }> => p.type === "text-delta",
    );
    expect(deltas.map((p) => p.logprobs?.content?.map((t) => t.token).join(""))).toEqual(
      deltas.map((p) => p.delta),
    );
    expect(deltas.flatMap((p) => p.logprobs?.content ?? [])).toEqual(tokens);
    // Without logprobs asked, no part carries any.
    const plain = await collect((await adapter.doStream(target(), chat("hello there"))).parts);
    expect(plain.some((p) => "logprobs" in p)).toBe(false);
  });

  it("a refusal: the result's refusal with text null, and refusal-deltas when streamed", async () => {
    const result = await adapter.doGenerate(target(), chat("please refuse"));
    expect(result).toMatchObject({ text: null, refusal: REFUSAL, finishReason: "stop" });
    const parts = await collect((await adapter.doStream(target(), chat("please refuse"))).parts);
    expect(parts.filter((p) => p.type !== "refusal-delta").map((p) => p.type)).toEqual(["finish"]);
    expect(parts.flatMap((p) => (p.type === "refusal-delta" ? [p.delta] : [])).join("")).toBe(REFUSAL);
  });

  it("doEmbed: one vector per input, in order, with the usage", async () => {
    const result = await adapter.doEmbed(target(), {
      model: "text-embedding-3-small",
      input: ["first text", "second one here"],
      dimensions: 4,
      encoding_format: "base64",
    });
    expect(result).toEqual({
      embeddings: [fakeEmbedding("first text", 4), fakeEmbedding("second one here", 4)],
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
    const request = fake.requests[0]!;
    expect(request.path).toBe(c.embeddingsPath("text-embedding-3-small"));
    expect(header(request, c.authHeader)).toBe(c.authValue(c.apiKey));
    expect(JSON.parse(request.body)).toEqual({
      model: "text-embedding-3-small",
      input: ["first text", "second one here"],
      dimensions: 4,
    });
  });

  it("a wrong key -> auth, 401, not retryable, the key nowhere in the message (generate and stream)", async () => {
    const wrong = `${c.apiKey}-wrong`;
    for (const call of [
      () => adapter.doGenerate(target({ apiKey: wrong }), chat("hi")),
      () => adapter.doStream(target({ apiKey: wrong }), chat("hi")),
      () => adapter.doEmbed(target({ apiKey: wrong }), { model: "e", input: "hi" }),
    ]) {
      const error = await failure(call());
      expect(error.kind).toBe("auth");
      expect(error.status).toBe(401);
      expect(error.isRetryable).toBe(false);
      expect(error.message).not.toContain(c.apiKey);
      expect(error.message).not.toContain(c.apiKey.slice(0, 12));
    }
  });

  it("an upstream that echoes the whole key in its 401 still leaves it out of the message", async () => {
    const echoing = await c.start({ apiKey: c.apiKey, echoKey: true });
    try {
      const wrong = `${c.apiKey.slice(0, -4)}ABCD`;
      const error = await failure(
        adapter.doGenerate({ ...target({ apiKey: wrong }), baseUrl: c.baseUrlOf(echoing) }, chat("hi")),
      );
      expect(error.kind).toBe("auth");
      expect(error.message).not.toContain(wrong);
      expect(error.message).not.toContain(wrong.slice(0, 12));
    } finally {
      await echoing.close();
    }
  });

  it("429 -> rate_limited, retryable, with retryAfterSeconds (generate and stream)", async () => {
    fake.setMode("rate_limited");
    for (const call of [
      () => adapter.doGenerate(target(), chat("hi")),
      () => adapter.doStream(target(), chat("hi")),
    ]) {
      const error = await failure(call());
      expect(error.kind).toBe("rate_limited");
      expect(error.status).toBe(429);
      expect(error.isRetryable).toBe(true);
      expect(error.retryAfterSeconds).toBe(c.retryAfterSeconds);
    }
  });

  it("500 -> upstream_error, retryable (generate and stream)", async () => {
    fake.setMode("server_error");
    for (const call of [
      () => adapter.doGenerate(target(), chat("hi")),
      () => adapter.doStream(target(), chat("hi")),
    ]) {
      const error = await failure(call());
      expect(error.kind).toBe("upstream_error");
      expect(error.status).toBe(500);
      expect(error.isRetryable).toBe(true);
    }
  });

  it("400 (an invalid request) stays 400, upstream_error, not retryable, with the upstream's message", async () => {
    const error = await failure(adapter.doGenerate(target(), chat("hi", { messages: [] })));
    expect(error.kind).toBe("upstream_error");
    expect(error.status).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain("is too short");
  });

  it(`slow (no headers within ${TIMEOUT_MS} ms) -> timeout before the stream starts`, async () => {
    fake.setMode("slow");
    const started = performance.now();
    const error = await failure(adapter.doStream(target(), chat("hi")));
    expect(error.kind).toBe("timeout");
    expect(error.isRetryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("garbage (200 with HTML) -> bad_response, for generate and for a stream", async () => {
    fake.setMode("garbage");
    expect((await failure(adapter.doGenerate(target(), chat("hi")))).kind).toBe("bad_response");
    expect((await failure(adapter.doStream(target(), chat("hi")))).kind).toBe("bad_response");
  });

  it("wrong shape -> bad_response naming the path", async () => {
    fake.setMode("wrong_shape");
    const error = await failure(adapter.doGenerate(target(), chat("hi")));
    expect(error.kind).toBe("bad_response");
    expect(error.message).toMatch(/unexpected shape: \//);
    expect((await failure(adapter.doEmbed(target(), { model: "e", input: "x" }))).kind).toBe("bad_response");
  });

  it("a stream longer than timeoutMs is not cut (the budget covers the first byte only)", async () => {
    // 100 chunks 30 ms apart: 3 s of stream against a 300 ms budget.
    const parts = await collect((await adapter.doStream(target(), chat("slow stream please"))).parts);
    expect(parts.filter((p) => p.type === "text-delta")).toHaveLength(100);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
  });

  it("aborting mid-stream cancels the upstream call: the fake sees the connection close", async () => {
    const controller = new AbortController();
    const stream = await adapter.doStream(target(), chat("slow stream please"), controller.signal);
    const seen: ChatStreamPart[] = [];
    const reason = new Error("the client went away");
    const error: unknown = await (async () => {
      for await (const part of stream.parts) {
        seen.push(part);
        if (seen.length === 2) controller.abort(reason);
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(seen.length).toBeLessThan(10);
    await until(() => fake.requests[0]?.closedEarly === true, "the fake to see the close");
  });

  it("breaking out of the parts cancels the upstream call too", async () => {
    const stream = await adapter.doStream(target(), chat("slow stream please"));
    for await (const part of stream.parts) {
      expect(part.type).toBe("text-delta");
      break;
    }
    await until(() => fake.requests[0]?.closedEarly === true, "the fake to see the close");
  });

  it("reuses the keep-alive connection across streams and generations", async () => {
    // undici frees a connection a tick after its body ends (see providers-health.test.ts).
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 3; i++) {
      await collect((await adapter.doStream(target(), chat(`hi ${i}`))).parts);
      await tick();
      await adapter.doGenerate(target(), chat(`hi ${i}`));
      await tick();
    }
    expect(fake.requests).toHaveLength(6);
    expect(fake.requests.some((r) => r.closedEarly)).toBe(false);
    expect(new Set(fake.requests.map((r) => r.remotePort)).size).toBe(1);
  });
});

describe("azure-openai paths", () => {
  let fake: FakeUpstream;
  const KEY = "fedcba9876543210fedcba9876543210";
  beforeAll(async () => {
    fake = await startFakeAzureOpenAI({ apiKey: KEY });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(() => fake.close());

  const target = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    providerType: "azure-openai",
    baseUrl: fake.url,
    apiKey: KEY,
    timeoutMs: TIMEOUT_MS,
    dispatcher: loopbackOk,
    ...overrides,
  });

  it("calls the connection's deployment when it names one, with the default api-version", async () => {
    const result = await azureOpenAIAdapter.doGenerate(
      target({ azure: { apiVersion: "", deployment: "prod-4o" } }),
      chat("hi"),
    );
    expect(result.text).toBe("echo: hi");
    const request = fake.requests[0]!;
    expect(request.path).toBe("/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21");
    expect(header(request, "api-key")).toBe(KEY);
    expect(header(request, "authorization")).toBeUndefined();
  });

  it("does not double /openai when the base already ends in it; uses the connection's api-version", async () => {
    await collect(
      (
        await azureOpenAIAdapter.doStream(
          target({ baseUrl: `${fake.url}/openai/`, azure: { apiVersion: "2025-01-01-preview" } }),
          chat("hi", { model: "my deployment" }),
        )
      ).parts,
    );
    expect(fake.requests[0]!.path).toBe(
      "/openai/deployments/my%20deployment/chat/completions?api-version=2025-01-01-preview",
    );
  });
});

describe("postJson / postStream", () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ slowMs: 3000 });
  });
  afterEach(() => {
    fake.setMode("ok");
    fake.requests.length = 0;
  });
  afterAll(() => fake.close());

  const options = {
    headers: {},
    timeoutMs: TIMEOUT_MS,
    dispatcher: loopbackOk,
    secrets: [],
    readError: readOpenAIError,
  };
  const body = { model: "m", messages: [{ role: "user", content: "hi" }], stream: true };
  const url = () => `${fake.url}/v1/chat/completions`;

  it("postJson posts JSON and returns the answer", async () => {
    await expect(postJson(url(), { ...body, stream: false }, options)).resolves.toMatchObject({
      object: "chat.completion",
    });
    expect(header(fake.requests[0], "content-type")).toBe("application/json");
    expect(header(fake.requests[0], "accept")).toBe("application/json");
  });

  it("postJson: a caller's abort rejects with its reason, not a ProviderError", async () => {
    fake.setMode("slow");
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    setTimeout(() => controller.abort(reason), 50);
    await expect(
      postJson(url(), body, { ...options, timeoutMs: 5000, signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it("postStream resolves at the headers with the raw bytes still to read", async () => {
    const stream = await postStream(url(), body, options);
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream.body) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    expect(text).toMatch(/^data: \{"id":"chatcmpl-/);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("postStream: a body that falls silent for idleTimeoutMs -> ProviderError timeout", async () => {
    fake.setMode("slow_body");
    const stream = await postStream(url(), body, { ...options, idleTimeoutMs: 200 });
    stream.started(); // as an adapter says once its first event came: only the idle timeout is left
    const started = performance.now();
    const error: unknown = await (async () => {
      let bytes = 0;
      for await (const chunk of stream.body) bytes += chunk.length; // the half body, then silence
      return bytes;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "timeout" });
    expect((error as Error).message).toContain("200 ms");
    // undici keeps body timeouts on its coarse timers (up to ~1 s late); the slow_body stall is 3 s.
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it("postStream: until started(), timeoutMs bounds the body too: a 200 alone is not an answer", async () => {
    fake.setMode("slow_body"); // 200 and half a body at once, then silence
    const stream = await postStream(url(), body, { ...options, timeoutMs: 200 });
    const started = performance.now();
    const error: unknown = await (async () => {
      for await (const chunk of stream.body) expect(chunk.length).toBeGreaterThan(0);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "timeout", isRetryable: true });
    expect((error as Error).message).toContain("did not answer within 200 ms");
    expect(performance.now() - started).toBeLessThan(1500);
    await until(() => fake.requests[0]?.closedEarly === true, "the fake to see the close");
  });

  it("postStream: cancel() closes the connection, and the body then simply ends", async () => {
    const stream = await postStream(
      url(),
      { ...body, messages: [{ role: "user", content: "slow stream please" }] },
      options,
    );
    const iterator = stream.body[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    stream.cancel();
    stream.cancel();
    await until(() => fake.requests[0]?.closedEarly === true, "the fake to see the close");
    expect((await iterator.next()).done).toBe(true);
  });

  it("postStream: a reader that stops early closes the connection, and the body stays ended", async () => {
    const stream = await postStream(
      url(),
      { ...body, messages: [{ role: "user", content: "slow stream please" }] },
      options,
    );
    for await (const chunk of stream.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await until(() => fake.requests[0]?.closedEarly === true, "the fake to see the close");
    expect((await stream.body[Symbol.asyncIterator]().next()).done).toBe(true);
  });

  it("postStream: a connection that breaks mid-body -> ProviderError unreachable, said to break mid-answer", async () => {
    fake.setMode("slow_body"); // half a body, then the fake destroys the socket (after slowMs)
    const stream = await postStream(url(), body, options);
    stream.started();
    const chunks: Uint8Array[] = [];
    const error: unknown = await (async () => {
      for await (const chunk of stream.body) chunks.push(chunk);
    })().catch((e: unknown) => e);
    expect(Buffer.concat(chunks).toString("utf8")).toContain('{"data":[{"id":"half-');
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "unreachable" });
    expect((error as Error).message).toContain("broke mid-answer");
    const iterator = stream.body[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(true);
  });

  it("postStream: errors before the answer are ProviderErrors read like getJson's", async () => {
    fake.setMode("rate_limited");
    const error = await failure(postStream(url(), body, options));
    expect(error).toMatchObject({
      kind: "rate_limited",
      status: 429,
      retryAfterSeconds: 20,
      isRetryable: true,
    });
  });

  it("postStream: a caller already aborted rejects with its reason", async () => {
    const reason = new Error("already gone");
    await expect(postStream(url(), body, { ...options, signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
  });
});
