import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { anthropicAdapter } from "../../src/providers/anthropic/anthropic-adapter.js";
import { createProviderDispatchers } from "../../src/providers/dispatchers.js";
import type { ProviderTarget } from "../../src/providers/spec.js";
import { describeChatAdapterContract } from "../support/chat-adapter-contract.js";
import { collectParts, providerFailure } from "../support/chat-stream-parts.js";
import { startFakeAnthropic } from "../support/fake-upstreams/anthropic.js";
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
});
