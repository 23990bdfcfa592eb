import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createProviderDispatchers } from "../../src/providers/dispatchers.js";
import { googleAdapter } from "../../src/providers/google/google-adapter.js";
import type { ProviderTarget } from "../../src/providers/spec.js";
import { describeChatAdapterContract } from "../support/chat-adapter-contract.js";
import { collectParts, providerFailure } from "../support/chat-stream-parts.js";
import { reasoningFor } from "../support/fake-upstreams/echo-chat.js";
import type { FakeUpstream, RecordedRequest } from "../support/fake-upstreams/fake-server.js";
import { startFakeGoogle } from "../support/fake-upstreams/google.js";

// Real: the adapter, undici, the guarded dispatcher (loopback allowed), sockets on 127.0.0.1.
// Fake: generativelanguage.googleapis.com (test/support/fake-upstreams/google.ts), which records
// every body.

const API_KEY = "AIzaSyTestKey0123456789abcdefghijklmno";
const MODEL = "gemini-2.5-flash";

describeChatAdapterContract({
  name: "google",
  adapter: googleAdapter,
  providerType: "google",
  start: startFakeGoogle,
  apiKey: API_KEY,
  model: MODEL,
  // Gemini answers a wrong key with 400 INVALID_ARGUMENT / API_KEY_INVALID.
  unauthorizedStatus: 400,
  retryAfterSeconds: 37,
  // `data: {"error": {"code": 503, "status": "UNAVAILABLE"}}` after the 200.
  streamError: { status: 503, isRetryable: true },
  // Gemini gives calls no id: they are generated.
  toolCallId: /^call_[0-9a-f]{24}$/,
  textWithCall: null,
});

describe("google wire format", () => {
  const dispatchers = createProviderDispatchers();
  let fake: FakeUpstream;
  const target = (): ProviderTarget => ({
    providerType: "google",
    baseUrl: fake.url,
    apiKey: API_KEY,
    timeoutMs: 2000,
    dispatcher: dispatchers.forPolicy({ allowPrivate: true }),
  });
  const sent = (request: RecordedRequest | undefined): Record<string, unknown> =>
    JSON.parse(request!.body) as Record<string, unknown>;

  beforeAll(async () => {
    fake = await startFakeGoogle({ apiKey: API_KEY, models: [MODEL] });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(async () => {
    await fake.close();
    await dispatchers.close();
  });

  it("POSTs models/{model}:generateContent with the key in x-goog-api-key, never in the URL", async () => {
    const result = await googleAdapter.doGenerate(target(), {
      model: MODEL,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
      stop: ["STOP"],
      max_tokens: 50,
      temperature: 0.4,
      response_format: { type: "json_object" },
    });
    expect(result.id).toBeDefined();
    const request = fake.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(request.headers["x-goog-api-key"]).toBe(API_KEY);
    expect(request.path).not.toContain(API_KEY);
    expect(sent(request)).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [{ role: "user", parts: [{ text: "Hello there" }] }],
      generationConfig: {
        stopSequences: ["STOP"],
        maxOutputTokens: 50,
        temperature: 0.4,
        responseMimeType: "application/json",
      },
    });
  });

  it("streams from :streamGenerateContent?alt=sse", async () => {
    const stream = await googleAdapter.doStream(target(), {
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
    });
    await collectParts(stream.parts);
    expect(fake.requests[0]!.path).toBe(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`);
    expect(fake.requests[0]!.headers.accept).toBe("text/event-stream");
    expect(fake.requests[0]!.path).not.toContain(API_KEY);
  });

  it("sends parallel calls and both results in one turn, each named after its call (the fake checks the pairing)", async () => {
    const tools = [
      { type: "function" as const, function: { name: "weather", parameters: { type: "object" } } },
      { type: "function" as const, function: { name: "time" } },
    ];
    const result = await googleAdapter.doGenerate(target(), {
      model: MODEL,
      tools,
      tool_choice: { type: "function", function: { name: "weather" } },
      messages: [
        { role: "user", content: "Weather and time in Oslo?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
            { id: "call_2", type: "function", function: { name: "time", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_2", content: "12:00" },
        { role: "tool", tool_call_id: "call_1", content: "-3C" },
      ],
    });
    expect(result.warnings).toEqual([]);
    const body = sent(fake.requests[0]);
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "Weather and time in Oslo?" }] },
      {
        role: "model",
        parts: [
          {
            functionCall: { name: "weather", args: { city: "Oslo" } },
            thoughtSignature: "skip_thought_signature_validator",
          },
          { functionCall: { name: "time", args: {} } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "time", response: { output: "12:00" } } },
          { functionResponse: { name: "weather", response: { output: "-3C" } } },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          { name: "weather", parametersJsonSchema: { type: "object" } },
          { name: "time" },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["weather"] },
    });
  });

  it("an https image is reported and not sent; the request still goes", async () => {
    const result = await googleAdapter.doGenerate(target(), {
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    expect(result.text).toBe("echo: Describe");
    expect(result.warnings.map((w) => w.setting)).toEqual(["image_url"]);
    expect(fake.requests[0]!.body).not.toContain("example.com");
  });

  const THINK = "Please think first";

  it("reasoning_effort asks for thought summaries with its budget; they come back as the reasoning, thinking tokens counted", async () => {
    const result = await googleAdapter.doGenerate(target(), {
      model: MODEL,
      messages: [{ role: "user", content: THINK }],
      max_tokens: 50,
      extra: { reasoning_effort: "medium" },
    });
    expect(sent(fake.requests[0]).generationConfig).toEqual({
      maxOutputTokens: 50,
      thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
    });
    expect(result.warnings).toEqual([]);
    expect(result.reasoning).toBe(reasoningFor(THINK));
    expect(result.text).toBe(`echo: ${THINK}`);
    // 3 prompt words; 4 answer pieces, and the 5 of the reasoning as thoughtsTokenCount.
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 });
  });

  it('reasoning_effort "none" turns thinking off (budget 0): no thoughts asked for, none come back', async () => {
    const result = await googleAdapter.doGenerate(target(), {
      model: MODEL,
      messages: [{ role: "user", content: THINK }],
      extra: { reasoning_effort: "none" },
    });
    expect(sent(fake.requests[0]).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(result.reasoning).toBeUndefined();
    expect(result.text).toBe(`echo: ${THINK}`);
  });

  it("an unknown model is Google's 404, not retryable", async () => {
    const error = await providerFailure(
      googleAdapter.doGenerate(target(), {
        model: "gemini-nope",
        messages: [{ role: "user", content: "Hi" }],
      }),
    );
    expect(error).toMatchObject({ kind: "upstream_error", status: 404, isRetryable: false });
    expect(error.message).toContain("models/gemini-nope is not found");
  });
});
