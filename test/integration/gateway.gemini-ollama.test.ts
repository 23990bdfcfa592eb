import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { reasoningFor } from "../support/fake-upstreams/echo-chat.js";
import type {
  FakeMode,
  FakeUpstream,
  FakeUpstreamOptions,
  RecordedRequest,
} from "../support/fake-upstreams/fake-server.js";
import { startFakeGoogle } from "../support/fake-upstreams/google.js";
import { startFakeOllama } from "../support/fake-upstreams/ollama.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Real: the whole gateway (auth, resolution, decryption, the Gemini and Ollama adapters, the OpenAI
// encoder, usage), undici and sockets on 127.0.0.1, the official openai client as an app uses it.
// Fake: generativelanguage.googleapis.com and an Ollama server behind an authenticating proxy
// (test/support/fake-upstreams/google.ts, ollama.ts), which answer as echo-chat.ts says and record
// every request they get.

type Chunk = OpenAI.ChatCompletionChunk;

/** What differs between the two wire formats; everything else the suite checks the same way. */
interface WireFormat {
  name: string;
  providerType: "google" | "ollama";
  /** The model the caller asks for (and the connection's default). */
  model: string;
  apiKey: string;
  start(options: FakeUpstreamOptions): Promise<FakeUpstream>;
  /** The path (and query) the gateway must call. */
  path(stream: boolean): string;
  /** Whether the request carried the connection's key the format's way. */
  keyed(request: RecordedRequest): boolean;
  /** PROMPT as the upstream must receive it, with the given stream flag. */
  translatedPrompt(stream: boolean): unknown;
  /** TOOLS as the upstream must receive them. */
  translatedTools: Record<string, unknown>;
  /** The tool result turn of the second leg, as the upstream must receive it. */
  translatedToolResult(callText: string): Record<string, unknown>;
  /** What `reasoning_effort: "low"` must become upstream. */
  translatedReasoningEffort: Record<string, unknown>;
  /** The upstream's 429 words and retry hint (seconds). */
  rateLimited: { words: string; retryAfter: string };
  /** The upstream's 500 words. */
  serverError: string;
  /** The upstream's words when it refuses the key. */
  refusedKey: string;
}

const sent = (request: RecordedRequest | undefined): Record<string, unknown> =>
  JSON.parse(request!.body) as Record<string, unknown>;

/** A conversation with every setting the translation has to carry. */
const PROMPT = {
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "hi" },
    { role: "assistant", content: "hello" },
    { role: "user", content: "translate this please" },
  ],
  max_tokens: 50,
  temperature: 0.3,
  stop: ["NEVER-SEEN"],
} satisfies Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, "model">;
// Every word of PROMPT's messages, as the fakes count them, and the echo's words.
const PROMPT_TOKENS = 7;
const ANSWER = "echo: translate this please";
const ANSWER_TOKENS = 4;

const TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "lookup",
      description: "Looks a thing up",
      parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    },
  },
];

const GEMINI: WireFormat = {
  name: "Gemini",
  providerType: "google",
  model: "gemini-2.5-flash",
  apiKey: "AIzaSyGatewayE2eKey0123456789abcdefghi",
  start: startFakeGoogle,
  path: (stream) =>
    stream
      ? "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
      : "/v1beta/models/gemini-2.5-flash:generateContent",
  keyed: (request) => request.headers["x-goog-api-key"] === GEMINI.apiKey,
  translatedPrompt: () => ({
    systemInstruction: { parts: [{ text: "Be brief." }] },
    contents: [
      { role: "user", parts: [{ text: "hi" }] },
      { role: "model", parts: [{ text: "hello" }] },
      { role: "user", parts: [{ text: "translate this please" }] },
    ],
    generationConfig: { stopSequences: ["NEVER-SEEN"], maxOutputTokens: 50, temperature: 0.3 },
  }),
  translatedTools: {
    tools: [
      {
        functionDeclarations: [
          {
            name: "lookup",
            description: "Looks a thing up",
            parametersJsonSchema: {
              type: "object",
              properties: { text: { type: "string" } },
              required: ["text"],
            },
          },
        ],
      },
    ],
  },
  translatedToolResult: (callText) => ({
    contents: [
      { role: "user", parts: [{ text: callText }] },
      {
        role: "model",
        parts: [
          {
            functionCall: { name: "lookup", args: { text: callText } },
            thoughtSignature: "skip_thought_signature_validator",
          },
        ],
      },
      { role: "user", parts: [{ functionResponse: { name: "lookup", response: { output: "found it" } } }] },
    ],
  }),
  translatedReasoningEffort: {
    generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
  },
  rateLimited: { words: "You exceeded your current quota", retryAfter: "37" },
  serverError: "An internal error has occurred",
  refusedKey: "API key not valid",
};

const OLLAMA: WireFormat = {
  name: "Ollama",
  providerType: "ollama",
  model: "llama3.2",
  apiKey: "ollama-proxy-gateway-e2e-secret-0123",
  start: startFakeOllama,
  path: () => "/api/chat",
  keyed: (request) => request.headers.authorization === `Bearer ${OLLAMA.apiKey}`,
  translatedPrompt: (stream) => ({
    model: "llama3.2",
    stream,
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "translate this please" },
    ],
    options: { temperature: 0.3, stop: ["NEVER-SEEN"], num_predict: 50 },
  }),
  translatedTools: {
    tools: [
      {
        type: "function",
        function: {
          name: "lookup",
          description: "Looks a thing up",
          parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
        },
      },
    ],
  },
  translatedToolResult: (callText) => ({
    messages: [
      { role: "user", content: callText },
      {
        role: "assistant",
        content: "",
        tool_calls: [{ function: { name: "lookup", arguments: { text: callText } } }],
      },
      { role: "tool", content: "found it", tool_name: "lookup" },
    ],
  }),
  translatedReasoningEffort: { think: true },
  rateLimited: { words: "too many requests", retryAfter: "5" },
  serverError: "llama runner process has terminated",
  // The fake proxy echoes the key it refused: the gateway must redact it.
  refusedKey: "unauthorized: invalid API key [redacted]",
};

/** A stream's chunks, read the way an app reads them, with what an app would compute from them. */
function readChunks(chunks: Chunk[]) {
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  const finishReasons = chunks
    .flatMap((c) => c.choices.map((choice) => choice.finish_reason))
    .filter(Boolean);
  const calls: { id?: string; type?: string; name: string; arguments: string }[] = [];
  for (const chunk of chunks) {
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[delta.index] ??= { name: "", arguments: "" });
      if (delta.id !== undefined) call.id = delta.id;
      if (delta.type !== undefined) call.type = delta.type;
      call.name += delta.function?.name ?? "";
      call.arguments += delta.function?.arguments ?? "";
    }
  }
  return { text, finishReasons, calls, usageChunks: chunks.filter((c) => c.usage) };
}

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The APIError a call fails with (anything else fails the test). */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error("expected the call to fail with an APIError");
}

/** Every OpenAI chunk of a stream has the same head and the chunk object type. */
function expectChunkShape(chunks: Chunk[], model: string): void {
  expect(chunks.length).toBeGreaterThan(2);
  for (const chunk of chunks) {
    expect(chunk.object).toBe("chat.completion.chunk");
    expect(chunk.id).toBe(chunks[0]!.id);
    expect(chunk.model).toBe(model);
  }
  expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
}

describeEachDialect("/v1 on Gemini and Ollama connections, with the official openai client", (dialect) => {
  const t = useTestApp(dialect);
  let baseURL: string;
  const fakes: FakeUpstream[] = [];

  beforeAll(async () => {
    baseURL = await t().listen();
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    for (const fake of fakes) await fake.close();
  });

  for (const format of [GEMINI, OLLAMA]) {
    describe(format.name, () => {
      /** One fake per failure mode, each recording only its own requests. */
      const upstream: Partial<Record<FakeMode, FakeUpstream>> = {};
      const fake = (mode: FakeMode = "ok") => upstream[mode]!;

      beforeAll(async () => {
        for (const mode of [
          "ok",
          "rate_limited",
          "server_error",
          "unauthorized",
          "stalled_stream",
          "open_after_answer",
        ] as const) {
          upstream[mode] = await format.start({
            apiKey: format.apiKey,
            models: [format.providerType === "ollama" ? `${format.model}:latest` : format.model],
            mode,
            // A proxy before Ollama may echo the key it refused (the Ollama fake then does; Google never does).
            echoKey: mode === "unauthorized",
          });
          fakes.push(upstream[mode]);
        }
      });

      /**
       * A new user whose only (so default) connection is of this format, on the fake in `mode` (or
       * the one given), with the format's key unless null.
       */
      async function userOn(
        mode: FakeMode | FakeUpstream = "ok",
        apiKey: string | null = format.apiKey,
      ): Promise<{ user: TestUser; client: OpenAI }> {
        const user = await t().newUser();
        await t().connection(user, {
          name: "main",
          provider_type: format.providerType,
          base_url: typeof mode === "string" ? fake(mode).url : mode.url,
          ...(apiKey !== null ? { api_key: apiKey } : {}),
          model: format.model,
        });
        const { key } = await t().apiKey(user);
        return { user, client: new OpenAI({ apiKey: key, baseURL, maxRetries: 0 }) };
      }

      async function usageRows(user: TestUser) {
        await t().sy.flushUsage();
        return t()
          .sy.db.selectFrom("usage_records")
          .selectAll()
          .where("user_id", "=", user.id)
          .orderBy("created_at")
          .execute();
      }

      it("answers a completion: the request translated, content, finish_reason and usage mapped", async () => {
        const { client } = await userOn();
        const before = fake().requests.length;
        const completion = await client.chat.completions.create({ model: format.model, ...PROMPT });

        expect(fake().requests.length).toBe(before + 1);
        const request = fake().requests.at(-1)!;
        expect(request.method).toBe("POST");
        expect(request.path).toBe(format.path(false));
        expect(format.keyed(request)).toBe(true);
        expect(sent(request)).toEqual(format.translatedPrompt(false));

        expect(completion.object).toBe("chat.completion");
        expect(completion.model).toBe(format.model);
        expect(completion.choices).toHaveLength(1);
        expect(completion.choices[0]).toMatchObject({
          index: 0,
          message: { role: "assistant", content: ANSWER },
          finish_reason: "stop",
        });
        expect(completion.choices[0]!.message.tool_calls).toBeUndefined();
        expect(completion.usage).toEqual({
          prompt_tokens: PROMPT_TOKENS,
          completion_tokens: ANSWER_TOKENS,
          total_tokens: PROMPT_TOKENS + ANSWER_TOKENS,
        });
      });

      it("max_tokens cuts the answer upstream (finish_reason length) and a stop sequence ends it (stop)", async () => {
        const { client } = await userOn();
        const cut = await client.chat.completions.create({ ...PROMPT, model: format.model, max_tokens: 2 });
        expect(cut.choices[0]?.message.content).toBe("echo: translate ");
        expect(cut.choices[0]?.finish_reason).toBe("length");
        expect(cut.usage?.completion_tokens).toBe(2);

        const stopped = await client.chat.completions.create({
          ...PROMPT,
          model: format.model,
          stop: "please",
        });
        expect(stopped.choices[0]?.message.content).toBe("echo: translate this ");
        expect(stopped.choices[0]?.finish_reason).toBe("stop");
      });

      it("streams OpenAI chunks: content in order, one finish_reason, a usage chunk when asked, then [DONE]", async () => {
        const { client } = await userOn();
        const stream = await client.chat.completions.create({
          model: format.model,
          ...PROMPT,
          stream: true,
          stream_options: { include_usage: true },
        });
        const chunks = await collect(stream);
        const request = fake().requests.at(-1)!;
        expect(request.path).toBe(format.path(true));
        expect(format.keyed(request)).toBe(true);
        expect(sent(request)).toEqual(format.translatedPrompt(true));

        expectChunkShape(chunks, format.model);
        const read = readChunks(chunks);
        expect(read.text).toBe(ANSWER);
        // One content chunk per upstream chunk (a word each), not the answer buffered into one.
        expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(ANSWER_TOKENS);
        expect(read.finishReasons).toEqual(["stop"]);
        expect(read.calls).toEqual([]);
        // The usage chunk comes last, with no choices, as OpenAI sends it.
        expect(read.usageChunks).toHaveLength(1);
        expect(chunks.at(-1)!.choices).toEqual([]);
        expect(chunks.at(-1)!.usage).toEqual({
          prompt_tokens: PROMPT_TOKENS,
          completion_tokens: ANSWER_TOKENS,
          total_tokens: PROMPT_TOKENS + ANSWER_TOKENS,
        });
        expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");

        // Without include_usage there is no usage chunk; the finish chunk is the last.
        const plain = await collect(
          await client.chat.completions.create({
            model: format.model,
            messages: [{ role: "user", content: "no usage please" }],
            max_tokens: 2,
            stream: true,
          }),
        );
        const plainRead = readChunks(plain);
        expect(plainRead.text).toBe("echo: no ");
        expect(plainRead.finishReasons).toEqual(["length"]);
        expect(plainRead.usageChunks).toEqual([]);
        expect(plain.at(-1)!.choices[0]!.finish_reason).toBe("length");
      });

      it("the [DONE] framing is OpenAI's on the wire", async () => {
        const { client } = await userOn();
        const response = await client.chat.completions
          .create({
            model: format.model,
            messages: [{ role: "user", content: "raw frames" }],
            stream: true,
            stream_options: { include_usage: true },
          })
          .asResponse();
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
        const events = (await response.text()).split("\n\n").filter((e) => e.length > 0);
        expect(events.every((e) => e.startsWith("data: "))).toBe(true);
        expect(events.at(-1)).toBe("data: [DONE]");
        expect(events.filter((e) => e === "data: [DONE]")).toHaveLength(1);
      });

      it("a tool call round trip: tools go up, the function call comes back as tool_calls, the result goes up", async () => {
        const { client } = await userOn();
        const ask = "please call tool for me";
        const first = await client.chat.completions.create({
          model: format.model,
          messages: [{ role: "user", content: ask }],
          tools: TOOLS,
        });
        expect(sent(fake().requests.at(-1))).toMatchObject(format.translatedTools);
        const choice = first.choices[0]!;
        expect(choice.finish_reason).toBe("tool_calls");
        expect(choice.message.content).toBeNull();
        expect(choice.message.tool_calls).toHaveLength(1);
        const call = choice.message.tool_calls![0]!;
        expect(call.type).toBe("function");
        expect(call.id).toMatch(/^call_/);
        if (call.type !== "function") throw new Error("not a function call");
        expect(call.function.name).toBe("lookup");
        expect(JSON.parse(call.function.arguments)).toEqual({ text: ask });
        expect(first.usage?.completion_tokens).toBe(1);

        const second = await client.chat.completions.create({
          model: format.model,
          tools: TOOLS,
          messages: [
            { role: "user", content: ask },
            choice.message,
            { role: "tool", tool_call_id: call.id, content: "found it" },
          ],
        });
        // The fake (like the real APIs) refuses a result that does not answer the call by name.
        expect(sent(fake().requests.at(-1))).toMatchObject(format.translatedToolResult(ask));
        expect(second.choices[0]?.message.content).toBe("echo: found it");
        expect(second.choices[0]?.finish_reason).toBe("stop");
      });

      it("a streamed tool call round trip", async () => {
        const { client } = await userOn();
        const ask = "now call tool while streaming";
        const chunks = await collect(
          await client.chat.completions.create({
            model: format.model,
            messages: [{ role: "user", content: ask }],
            tools: TOOLS,
            stream: true,
            stream_options: { include_usage: true },
          }),
        );
        expect(sent(fake().requests.at(-1))).toMatchObject(format.translatedTools);
        expectChunkShape(chunks, format.model);
        const read = readChunks(chunks);
        expect(read.text).toBe("");
        expect(read.finishReasons).toEqual(["tool_calls"]);
        expect(read.calls).toHaveLength(1);
        const call = read.calls[0]!;
        expect(call).toMatchObject({ type: "function", name: "lookup" });
        expect(call.id).toMatch(/^call_/);
        expect(JSON.parse(call.arguments)).toEqual({ text: ask });
        expect(read.usageChunks).toHaveLength(1);
        expect(chunks.at(-1)!.usage?.completion_tokens).toBe(1);

        const answer = readChunks(
          await collect(
            await client.chat.completions.create({
              model: format.model,
              tools: TOOLS,
              stream: true,
              messages: [
                { role: "user", content: ask },
                {
                  role: "assistant",
                  content: null,
                  tool_calls: [
                    {
                      id: call.id!,
                      type: "function",
                      function: { name: call.name, arguments: call.arguments },
                    },
                  ],
                },
                { role: "tool", tool_call_id: call.id!, content: "found it" },
              ],
            }),
          ),
        );
        expect(sent(fake().requests.at(-1))).toMatchObject(format.translatedToolResult(ask));
        expect(answer.text).toBe("echo: found it");
        expect(answer.finishReasons).toEqual(["stop"]);
      });

      it("reasoning_effort: the upstream's reasoning is reasoning_content, streamed in pieces before the content", async () => {
        const { client } = await userOn();
        const ask = "Please think first";
        const params = {
          model: format.model,
          messages: [{ role: "user" as const, content: ask }],
          reasoning_effort: "low" as const,
        };
        const { data, response } = await client.chat.completions.create(params).withResponse();
        expect(sent(fake().requests.at(-1))).toMatchObject(format.translatedReasoningEffort);
        expect(response.headers.get("x-switchyard-warnings")).toBeNull();
        // Not in the client's types (DeepSeek's field), but kept as the gateway sent it.
        const message = data.choices[0]!.message as OpenAI.ChatCompletionMessage & {
          reasoning_content?: string;
        };
        expect(message.reasoning_content).toBe(reasoningFor(ask));
        expect(message.content).toBe(`echo: ${ask}`);
        expect(data.choices[0]!.finish_reason).toBe("stop");

        const chunks = await collect(await client.chat.completions.create({ ...params, stream: true }));
        expect(sent(fake().requests.at(-1))).toMatchObject(format.translatedReasoningEffort);
        const deltas = chunks.map(
          (c) =>
            (c.choices[0]?.delta ?? {}) as Chunk["choices"][number]["delta"] & { reasoning_content?: string },
        );
        const reasoningAt = deltas.flatMap((d, i) => (d.reasoning_content ? [i] : []));
        const contentAt = deltas.flatMap((d, i) => (d.content ? [i] : []));
        expect(reasoningAt.length).toBeGreaterThan(1);
        expect(reasoningAt.map((i) => deltas[i]!.reasoning_content).join("")).toBe(reasoningFor(ask));
        expect(Math.max(...reasoningAt)).toBeLessThan(Math.min(...contentAt));
        const read = readChunks(chunks);
        expect(read.text).toBe(`echo: ${ask}`);
        expect(read.finishReasons).toEqual(["stop"]);
      });

      it("an upstream 429 is OpenAI's 429 rate_limit_error with the retry hint, stream or not, and no key", async () => {
        const { client } = await userOn("rate_limited");
        const before = fake("rate_limited").requests.length;
        for (const stream of [false, true]) {
          const error = await apiError(
            client.chat.completions.create({
              model: format.model,
              messages: [{ role: "user", content: "too fast" }],
              stream,
            }),
          );
          expect(error.status).toBe(429);
          expect(error.type).toBe("rate_limit_error");
          expect(error.code).toBe("rate_limited");
          expect(error.message).toContain(format.rateLimited.words);
          expect(error.headers?.get("retry-after")).toBe(format.rateLimited.retryAfter);
          expect(error.message).not.toContain(format.apiKey);
          expect(JSON.stringify(error.error)).not.toContain(format.apiKey);
        }
        // A long retry hint is the caller's to honour: no retries upstream.
        expect(fake("rate_limited").requests.length).toBe(before + 2);
        expect(fake("rate_limited").requests.every(format.keyed)).toBe(true);
      });

      it("an upstream 500 is a 502 api_error after the retries, stream or not, and no key", async () => {
        const { client } = await userOn("server_error");
        for (const stream of [false, true]) {
          const before = fake("server_error").requests.length;
          const error = await apiError(
            client.chat.completions.create({
              model: format.model,
              messages: [{ role: "user", content: "break" }],
              stream,
            }),
          );
          expect(error.status).toBe(502);
          expect(error.type).toBe("api_error");
          expect(error.code).toBe("upstream_failed");
          expect(error.message).toContain(format.serverError);
          expect(error.message).not.toContain(format.apiKey);
          // The first attempt and the two retries of the default policy.
          expect(fake("server_error").requests.length).toBe(before + 3);
        }
      });

      it("a stream answered 200 and then nothing is a 504 after the retries, not a 200 left hanging", async () => {
        const user = await t().newUser();
        await t().connection(user, {
          name: "main",
          provider_type: format.providerType,
          base_url: fake("stalled_stream").url,
          api_key: format.apiKey,
          model: format.model,
          timeout_seconds: 1,
        });
        const client = new OpenAI({ apiKey: (await t().apiKey(user)).key, baseURL, maxRetries: 0 });
        const before = fake("stalled_stream").requests.length;
        const error = await apiError(
          client.chat.completions.create({
            model: format.model,
            messages: [{ role: "user", content: "anyone there" }],
            stream: true,
          }),
        );
        // The connection's timeout covers the wait for the first chunk (the fake stalls for 5 s, the
        // idle timeout is 60 s), so each attempt fails after 1 s and is retried before any byte.
        expect(error.status).toBe(504);
        expect(error.code).toBe("upstream_timeout");
        expect(fake("stalled_stream").requests.length).toBe(before + 3);
      });

      it("a stream ends at its finish even when the upstream keeps its body open after it", async () => {
        const { client } = await userOn("open_after_answer");
        const started = performance.now();
        const stream = await client.chat.completions.create({
          model: format.model,
          messages: [{ role: "user", content: "hi" }],
          stream: true,
        });
        const chunks: Chunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        expect(readChunks(chunks).text).toBe("echo: hi");
        expect(readChunks(chunks).finishReasons).toEqual(["stop"]);
        // The fake holds the body for 5 s after the answer.
        expect(performance.now() - started).toBeLessThan(3000);
      });

      it("the upstream refusing the connection's key is a 502 that does not show the key, even when echoed", async () => {
        const { client } = await userOn("unauthorized");
        const error = await apiError(
          client.chat.completions.create({
            model: format.model,
            messages: [{ role: "user", content: "who am I" }],
          }),
        );
        expect(error.status).toBe(502);
        expect(error.type).toBe("api_error");
        expect(error.message).toContain("refused the connection's credentials");
        expect(error.message).toContain(format.refusedKey);
        expect(error.message).not.toContain(format.apiKey);
        // Not retried: another try with the same key cannot help.
        expect(fake("unauthorized").requests).toHaveLength(1);
        expect(t().bodies()).not.toContain(format.apiKey);
      });

      it("an error after the stream started ends it with OpenAI's error event", async () => {
        const { client } = await userOn();
        const stream = await client.chat.completions.create({
          model: format.model,
          messages: [{ role: "user", content: "stream error please" }],
          stream: true,
        });
        const chunks: Chunk[] = [];
        const error = await apiError(
          (async () => {
            for await (const chunk of stream) chunks.push(chunk);
          })(),
        );
        expect(readChunks(chunks).text).toBe("echo: ");
        expect(readChunks(chunks).finishReasons).toEqual([]);
        expect(error.message).not.toContain(format.apiKey);
      });

      it("settings the upstream cannot honour come back in X-Switchyard-Warnings, the call still answered", async () => {
        const { client } = await userOn();
        const { data, response } = await client.chat.completions
          .create({
            model: format.model,
            messages: [{ role: "user", content: "warn me" }],
            user: "end-user-7",
          })
          .withResponse();
        expect(data.choices[0]?.message.content).toBe("echo: warn me");
        expect(response.headers.get("x-switchyard-warnings")).toContain(
          `user: ${format.name} does not support user`,
        );
        expect(fake().requests.at(-1)!.body).not.toContain("end-user-7");
      });

      if (format.providerType === "ollama") {
        it("a local Ollama with no key: the connection has none and none is sent", async () => {
          const local = await format.start({ models: [`${format.model}:latest`] });
          fakes.push(local);
          const { client } = await userOn(local, null);
          const completion = await client.chat.completions.create({
            model: format.model,
            messages: [{ role: "user", content: "no key here" }],
          });
          expect(completion.choices[0]?.message.content).toBe("echo: no key here");
          const chunks = await collect(
            await client.chat.completions.create({
              model: format.model,
              messages: [{ role: "user", content: "nor here" }],
              stream: true,
            }),
          );
          expect(readChunks(chunks).text).toBe("echo: nor here");
          expect(local.requests).toHaveLength(2);
          expect(local.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
        });
      }

      it("records each call in usage: provider, model, key, tokens and status, and reports it", async () => {
        const { user, client } = await userOn();
        await client.chat.completions.create({ model: format.model, ...PROMPT });
        await collect(
          await client.chat.completions.create({
            model: format.model,
            ...PROMPT,
            stream: true,
          }),
        );
        const rows = await usageRows(user);
        expect(rows).toHaveLength(2);
        for (const row of rows) {
          expect(row).toMatchObject({
            endpoint: "chat.completions",
            provider_type: format.providerType,
            model: format.model,
            input_tokens: PROMPT_TOKENS,
            output_tokens: ANSWER_TOKENS,
            status_code: 200,
            error_code: null,
          });
          expect(row.api_key_id).not.toBeNull();
          expect(row.connection_id).not.toBeNull();
        }

        const failing = await userOn("rate_limited");
        await apiError(
          failing.client.chat.completions.create({
            model: format.model,
            messages: [{ role: "user", content: "count the failure" }],
          }),
        );
        const failed = await usageRows(failing.user);
        expect(failed).toHaveLength(1);
        expect(failed[0]).toMatchObject({
          provider_type: format.providerType,
          status_code: 429,
          error_code: "rate_limited",
        });

        const report = await t().app.inject({
          url: "/api/users/me/usage?group_by=model",
          headers: user.headers,
        });
        expect(report.statusCode, report.body).toBe(200);
        expect(report.json().items).toEqual([
          expect.objectContaining({
            key: format.model,
            requests: 2,
            errors: 0,
            input_tokens: 2 * PROMPT_TOKENS,
            output_tokens: 2 * ANSWER_TOKENS,
          }),
        ]);
      });
    });
  }
});
