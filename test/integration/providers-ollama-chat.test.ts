import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createProviderDispatchers } from "../../src/providers/dispatchers.js";
import { ollamaAdapter } from "../../src/providers/ollama/ollama-adapter.js";
import type { ProviderTarget } from "../../src/providers/spec.js";
import { describeChatAdapterContract } from "../support/chat-adapter-contract.js";
import { collectParts, providerFailure } from "../support/chat-stream-parts.js";
import { reasoningFor } from "../support/fake-upstreams/echo-chat.js";
import type { FakeUpstream, RecordedRequest } from "../support/fake-upstreams/fake-server.js";
import { startFakeOllama } from "../support/fake-upstreams/ollama.js";

// Real: the adapter, undici, the guarded dispatcher (loopback allowed), sockets on 127.0.0.1.
// Fake: an Ollama server behind an authenticating proxy (test/support/fake-upstreams/ollama.ts),
// which records every body.

const API_KEY = "ollama-proxy-secret-0123456789";
const MODEL = "llama3.2:latest";

describeChatAdapterContract({
  name: "ollama",
  adapter: ollamaAdapter,
  providerType: "ollama",
  start: startFakeOllama,
  apiKey: API_KEY,
  model: MODEL,
  unauthorizedStatus: 401,
  retryAfterSeconds: 5,
  // An `{"error": "..."}` line after the 200 has no status; a runner failure is not retried mid-answer.
  streamError: { status: undefined, isRetryable: false },
  // Older Ollama gives calls no id: they are generated.
  toolCallId: /^call_[0-9a-f]{24}$/,
  textWithCall: null,
});

describe("ollama wire format", () => {
  const dispatchers = createProviderDispatchers();
  let fake: FakeUpstream;
  const target = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    providerType: "ollama",
    baseUrl: fake.url,
    apiKey: API_KEY,
    timeoutMs: 2000,
    dispatcher: dispatchers.forPolicy({ allowPrivate: true }),
    ...overrides,
  });
  const sent = (request: RecordedRequest | undefined): Record<string, unknown> =>
    JSON.parse(request!.body) as Record<string, unknown>;

  beforeAll(async () => {
    fake = await startFakeOllama({ apiKey: API_KEY, models: [MODEL] });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(async () => {
    await fake.close();
    await dispatchers.close();
  });

  it("POSTs /api/chat with stream: false, the system message in place and the settings in options", async () => {
    await ollamaAdapter.doGenerate(target(), {
      model: "llama3.2",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
      stop: "STOP",
      max_tokens: 64,
      seed: 3,
      response_format: { type: "json_object" },
    });
    const request = fake.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/api/chat");
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent(request)).toEqual({
      model: "llama3.2",
      stream: false,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
      format: "json",
      options: { seed: 3, stop: ["STOP"], num_predict: 64 },
    });
  });

  it("streams NDJSON with stream: true, and sends tools with tool results named", async () => {
    const stream = await ollamaAdapter.doStream(target(), {
      model: MODEL,
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_9", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_9", content: "-3C" },
      ],
    });
    const parts = await collectParts(stream.parts);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
    expect(fake.requests[0]!.headers.accept).toBe("application/x-ndjson");
    expect(sent(fake.requests[0])).toEqual({
      model: MODEL,
      stream: true,
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "weather", arguments: { city: "Oslo" } } }],
        },
        { role: "tool", content: "-3C", tool_name: "weather" },
      ],
    });
  });

  const THINK = "Please think first";

  it("reasoning_effort is think: true; message.thinking comes back as the reasoning, apart from the content", async () => {
    const result = await ollamaAdapter.doGenerate(target(), {
      model: MODEL,
      messages: [{ role: "user", content: THINK }],
      extra: { reasoning_effort: "high" },
    });
    expect(sent(fake.requests[0])).toEqual({
      model: MODEL,
      stream: false,
      messages: [{ role: "user", content: THINK }],
      think: true,
    });
    expect(result.warnings).toEqual([]);
    expect(result.reasoning).toBe(reasoningFor(THINK));
    expect(result.text).toBe(`echo: ${THINK}`);
  });

  it('reasoning_effort "none" is think: false, and no thinking comes back', async () => {
    const stream = await ollamaAdapter.doStream(target(), {
      model: MODEL,
      messages: [{ role: "user", content: THINK }],
      extra: { reasoning_effort: "none" },
    });
    const parts = await collectParts(stream.parts);
    expect(sent(fake.requests[0]).think).toBe(false);
    expect(parts.filter((p) => p.type === "reasoning-delta")).toEqual([]);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
  });

  it("a model that is not pulled is Ollama's 404 with its message, not retryable", async () => {
    const error = await providerFailure(
      ollamaAdapter.doStream(target(), { model: "mistral", messages: [{ role: "user", content: "Hi" }] }),
    );
    expect(error).toMatchObject({ kind: "upstream_error", status: 404, isRetryable: false });
    expect(error.message).toContain('model "mistral" not found, try pulling it first');
  });

  it("a proxy that wants a key and gets none -> auth", async () => {
    const error = await providerFailure(
      ollamaAdapter.doGenerate(target({ apiKey: undefined }), {
        model: MODEL,
        messages: [{ role: "user", content: "Hi" }],
      }),
    );
    expect(fake.requests[0]!.headers.authorization).toBeUndefined();
    expect(error.kind).toBe("auth");
  });
});
