import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { startFakeAnthropic } from "../support/fake-upstreams/anthropic.js";
import { reasoningFor } from "../support/fake-upstreams/echo-chat.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { logprobFor, REFUSAL } from "../support/fake-upstreams/openai-chat.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

const UPSTREAM_KEY = "sk-upstream-key-for-the-gateway-000";

// The official openai client, pointed at Switchyard with a user's API key, as an app would use it.
describeEachDialect("/v1 with the official openai client", (dialect) => {
  const t = useTestApp(dialect);
  let baseURL: string;
  const fakes: Record<string, FakeUpstream> = {};

  beforeAll(async () => {
    fakes.alice = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
    fakes.bob = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
    fakes.anthropic = await startFakeAnthropic({ apiKey: UPSTREAM_KEY, models: ["claude-sonnet-4-5"] });
    baseURL = await t().listen();
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    for (const fake of Object.values(fakes)) await fake.close();
  });

  async function userWith(fake: FakeUpstream, providerType = "openai-compatible", model = "gpt-4o-mini") {
    const user = await t().newUser();
    const base = providerType === "anthropic" ? fake.url : `${fake.url}/v1`;
    await t().connection(user, {
      name: "main",
      provider_type: providerType,
      base_url: base,
      api_key: UPSTREAM_KEY,
      model,
    });
    const { key } = await t().apiKey(user);
    return { user, client: new OpenAI({ apiKey: key, baseURL, maxRetries: 0 }) };
  }

  it("answers a completion from the user's own connection", async () => {
    const { client } = await userWith(fakes.alice!);
    const before = fakes.alice!.requests.length;
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message.content).toContain("hello there");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(fakes.alice!.requests.length).toBe(before + 1);
  });

  it("sends an OpenAI-compatible upstream the caller's fields, its own and unknown ones, but not the gateway's", async () => {
    const { client } = await userWith(fakes.alice!);
    // Fields the SDK does not type go in as they would from any app: as extra body properties.
    const extraFields = { top_k: 7, logit_bias: { "50256": -100 }, vendor_option: { mode: "x" } };
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "fields" }],
      temperature: 0.2,
      seed: 42,
      n: 1,
      ...extraFields,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const sent = JSON.parse(fakes.alice!.requests.at(-1)!.body) as Record<string, unknown>;
    expect(sent).toMatchObject({ model: "gpt-4o-mini", temperature: 0.2, seed: 42, ...extraFields });
    expect(sent.messages).toEqual([{ role: "user", content: "fields" }]);
    // n is always 1 and streaming is the gateway's choice per call: neither is passed on as asked.
    expect(sent).not.toHaveProperty("n");
    expect(sent.stream).not.toBe(true);

    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "fields streamed" }],
      stream: true,
      stream_options: { include_usage: false },
      ...extraFields,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    for await (const chunk of stream) void chunk;
    const streamed = JSON.parse(fakes.alice!.requests.at(-1)!.body) as Record<string, unknown>;
    expect(streamed).toMatchObject({ model: "gpt-4o-mini", stream: true, ...extraFields });
  });

  it("streams a completion chunk by chunk, with usage when asked", async () => {
    const { client } = await userWith(fakes.alice!);
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "stream me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      usage ??= chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toContain("stream me");
    expect(finish).toBe("stop");
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it("passes an OpenAI-compatible upstream's logprobs through, whole and on each streamed chunk", async () => {
    const { client } = await userWith(fakes.alice!);
    const asked = { logprobs: true, top_logprobs: 2 } as const;
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "score my words" }],
      ...asked,
    });
    const answer = completion.choices[0]!.message.content;
    expect(answer).toBe("echo: score my words");
    const tokens = completion.choices[0]!.logprobs?.content ?? [];
    expect(tokens.map((t) => t.token).join("")).toBe(answer);
    expect(tokens.map((t) => t.logprob)).toEqual(tokens.map((_, i) => logprobFor(i)));
    expect(tokens.every((t) => t.top_logprobs.length === 2)).toBe(true);
    expect(tokens[0]).toEqual({
      token: "echo: ",
      logprob: logprobFor(0),
      bytes: [...Buffer.from("echo: ")],
      top_logprobs: [
        { token: "echo: ", logprob: logprobFor(0), bytes: [...Buffer.from("echo: ")] },
        { token: "echo:~1", logprob: logprobFor(0) - 1, bytes: [...Buffer.from("echo:~1")] },
      ],
    });
    expect(JSON.parse(fakes.alice!.requests.at(-1)!.body)).toMatchObject(asked);

    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "score my words" }],
      stream: true,
      ...asked,
    });
    let text = "";
    const streamed: OpenAI.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? "";
      // Each token on the chunk of its text, as OpenAI streams them.
      const content = choice?.logprobs?.content ?? [];
      expect(content.map((t) => t.token).join("")).toBe(choice?.delta.content ?? "");
      streamed.push(...content);
    }
    expect(text).toBe(answer);
    expect(streamed).toEqual(tokens);
  });

  it("answers an OpenAI-compatible upstream's refusal as message.refusal, and streamed as refusal deltas", async () => {
    const { client } = await userWith(fakes.alice!);
    const completion = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "please refuse this" }],
    });
    expect(completion.choices[0]!.message).toMatchObject({ content: null, refusal: REFUSAL });
    expect(completion.choices[0]!.finish_reason).toBe("stop");

    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "please refuse this" }],
      stream: true,
      logprobs: true,
    });
    let refusal = "";
    let content = "";
    let finish: string | null | undefined;
    const tokens: string[] = [];
    for await (const chunk of stream) {
      refusal += chunk.choices[0]?.delta.refusal ?? "";
      content += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      tokens.push(...(chunk.choices[0]?.logprobs?.refusal ?? []).map((t) => t.token));
    }
    expect(refusal).toBe(REFUSAL);
    expect(content).toBe("");
    expect(tokens.join("")).toBe(REFUSAL);
    expect(finish).toBe("stop");
  });

  it("another user's key resolves to that user's connection", async () => {
    const alice = await userWith(fakes.alice!);
    const bob = await userWith(fakes.bob!);
    const [a0, b0] = [fakes.alice!.requests.length, fakes.bob!.requests.length];
    await bob.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(fakes.bob!.requests.length).toBe(b0 + 1);
    expect(fakes.alice!.requests.length).toBe(a0);
    await alice.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(fakes.alice!.requests.length).toBe(a0 + 1);
  });

  it("translates for an Anthropic-format upstream, stream and not", async () => {
    const { client } = await userWith(fakes.anthropic!, "anthropic", "claude-sonnet-4-5");
    const completion = await client.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "translate me" },
      ],
      max_tokens: 100,
    });
    expect(completion.choices[0]?.message.content).toContain("translate me");
    const sent = JSON.parse(fakes.anthropic!.requests.at(-1)!.body);
    expect(sent.system).toBeDefined();
    expect(sent.messages.every((m: { role: string }) => m.role !== "system")).toBe(true);

    const stream = await client.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "stream translated" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("stream translated");
  });

  it("names logprobs in X-Switchyard-Warnings for an Anthropic upstream, which cannot return them", async () => {
    const { client } = await userWith(fakes.anthropic!, "anthropic", "claude-sonnet-4-5");
    const { data, response } = await client.chat.completions
      .create({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: "score me" }],
        max_tokens: 100,
        logprobs: true,
        top_logprobs: 2,
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("echo: score me");
    expect(data.choices[0]?.logprobs).toBeNull();
    const warnings = response.headers.get("x-switchyard-warnings");
    expect(warnings).toContain("logprobs: Anthropic does not support logprobs");
    expect(warnings).toContain("top_logprobs: Anthropic does not support top_logprobs");
    const sent = JSON.parse(fakes.anthropic!.requests.at(-1)!.body) as Record<string, unknown>;
    expect(sent).not.toHaveProperty("logprobs");
    expect(sent).not.toHaveProperty("top_logprobs");
  });

  it("answers an Anthropic upstream's thinking as reasoning_content, streamed before the content", async () => {
    const { client } = await userWith(fakes.anthropic!, "anthropic", "claude-sonnet-4-5");
    // reasoning_content is DeepSeek's field, which the SDK does not type but passes through.
    type WithReasoning = { reasoning_content?: string };
    const completion = await client.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "Please think first" }],
      reasoning_effort: "low",
    });
    const message: OpenAI.ChatCompletionMessage & WithReasoning = completion.choices[0]!.message;
    expect(message.reasoning_content).toBe(reasoningFor("Please think first"));
    expect(message.content).toBe("echo: Please think first");
    expect(JSON.parse(fakes.anthropic!.requests.at(-1)!.body)).toMatchObject({
      thinking: { type: "enabled", budget_tokens: 1024 },
    });

    const stream = await client.chat.completions.create({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "Please think first" }],
      reasoning_effort: "low",
      stream: true,
    });
    const pieces: { reasoning?: string; content?: string }[] = [];
    for await (const chunk of stream) {
      const delta: (OpenAI.ChatCompletionChunk.Choice.Delta & WithReasoning) | undefined =
        chunk.choices[0]?.delta;
      if (delta?.reasoning_content) pieces.push({ reasoning: delta.reasoning_content });
      if (delta?.content) pieces.push({ content: delta.content });
    }
    const reasoning = pieces.filter((p) => p.reasoning !== undefined);
    expect(reasoning.length).toBeGreaterThan(1);
    expect(reasoning.map((p) => p.reasoning).join("")).toBe(reasoningFor("Please think first"));
    expect(pieces.findIndex((p) => p.content !== undefined)).toBe(reasoning.length);
    expect(pieces.map((p) => p.content ?? "").join("")).toBe("echo: Please think first");
  });

  describe("an Anthropic tool loop that goes on thinking: LiteLLM's thinking_blocks, handed back verbatim", () => {
    // Neither field is typed by the SDK, which passes both through.
    type ThinkingBlock =
      | { type: "thinking"; thinking: string; signature?: string }
      | { type: "redacted_thinking"; data: string };
    type WithThinking = { reasoning_content?: string; thinking_blocks?: ThinkingBlock[] };
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: "function", function: { name: "weather", parameters: { type: "object" } } },
    ];
    // The tool result asks the fake to think again, so an answer that reasons shows thinking was on.
    const RESULT = "Sunny. Think first, then answer.";
    /** Turn 1: a user's question that makes the fake think, then call the tool. */
    const firstTurn = async () => {
      const { client } = await userWith(fakes.anthropic!, "anthropic", "claude-sonnet-4-5");
      const ask: OpenAI.ChatCompletionMessageParam = {
        role: "user",
        content: "Please think first and call tool",
      };
      const first = await client.chat.completions.create({
        model: "claude-sonnet-4-5",
        messages: [ask],
        tools,
        reasoning_effort: "low",
      });
      return { client, ask, first };
    };
    const assistantTurn = () =>
      (
        JSON.parse(fakes.anthropic!.requests.at(-1)!.body) as {
          thinking?: unknown;
          messages: { role: string; content: Record<string, unknown>[] }[];
        }
      ).messages[1]!;

    it("answers the call with thinking_blocks, and the message sent back verbatim thinks while answering the result", async () => {
      const { client, ask, first } = await firstTurn();
      const message: OpenAI.ChatCompletionMessage & WithThinking = first.choices[0]!.message;
      expect(first.choices[0]!.finish_reason).toBe("tool_calls");
      expect(message.reasoning_content).toBe(reasoningFor("Please think first and call tool"));
      expect(message.thinking_blocks).toEqual([
        { type: "thinking", thinking: message.reasoning_content, signature: expect.any(String) as string },
      ]);
      const signature = (message.thinking_blocks![0] as { signature: string }).signature;
      expect(JSON.parse(fakes.anthropic!.requests.at(-1)!.body)).toMatchObject({
        thinking: { type: "enabled" },
      });

      const { data: answer, response } = await client.chat.completions
        .create({
          model: "claude-sonnet-4-5",
          messages: [
            ask,
            message as OpenAI.ChatCompletionAssistantMessageParam,
            { role: "tool", tool_call_id: message.tool_calls![0]!.id, content: RESULT },
          ],
          tools,
          reasoning_effort: "low",
        })
        .withResponse();
      expect(response.headers.get("x-switchyard-warnings")).toBeNull();
      const sent = JSON.parse(fakes.anthropic!.requests.at(-1)!.body) as Record<string, unknown>;
      expect(sent.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
      // The thinking block first in the assistant turn, its signature as Anthropic gave it.
      expect(assistantTurn().content[0]).toEqual({
        type: "thinking",
        thinking: message.reasoning_content,
        signature,
      });
      expect(assistantTurn().content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
      const reply: OpenAI.ChatCompletionMessage & WithThinking = answer.choices[0]!.message;
      expect(reply.content).toBe(`echo: ${RESULT}`);
      expect(reply.reasoning_content).toBe(reasoningFor(RESULT));
    });

    it("streamed: the blocks rebuilt from the chunks as LiteLLM's clients do, redacted ones included, go back the same", async () => {
      const { client } = await userWith(fakes.anthropic!, "anthropic", "claude-sonnet-4-5");
      const text = "Please think first, with redacted thinking, and call tool";
      const ask: OpenAI.ChatCompletionMessageParam = { role: "user", content: text };

      /** One streamed turn, accumulated: thinking pieces join until a signature closes their block. */
      async function streamed(messages: OpenAI.ChatCompletionMessageParam[]) {
        const { data: stream, response } = await client.chat.completions
          .create({ model: "claude-sonnet-4-5", messages, tools, reasoning_effort: "low", stream: true })
          .withResponse();
        let content = "";
        let reasoning = "";
        let thinking = "";
        const blocks: ThinkingBlock[] = [];
        const calls: OpenAI.ChatCompletionMessageFunctionToolCall[] = [];
        for await (const chunk of stream) {
          const delta: (OpenAI.ChatCompletionChunk.Choice.Delta & WithThinking) | undefined =
            chunk.choices[0]?.delta;
          content += delta?.content ?? "";
          reasoning += delta?.reasoning_content ?? "";
          for (const block of delta?.thinking_blocks ?? []) {
            if (block.type === "redacted_thinking") {
              blocks.push(block);
              continue;
            }
            thinking += block.thinking;
            if (block.signature) {
              blocks.push({ type: "thinking", thinking, signature: block.signature });
              thinking = "";
            }
          }
          for (const call of delta?.tool_calls ?? []) {
            if (call.id !== undefined) {
              calls.push({
                id: call.id,
                type: "function",
                function: { name: call.function!.name!, arguments: "" },
              });
            }
            calls[call.index]!.function.arguments += call.function?.arguments ?? "";
          }
        }
        return { content, reasoning, blocks, calls, warnings: response.headers.get("x-switchyard-warnings") };
      }

      const first = await streamed([ask]);
      expect(first.reasoning).toBe(reasoningFor(text));
      expect(first.blocks).toEqual([
        { type: "redacted_thinking", data: expect.any(String) as string },
        { type: "thinking", thinking: reasoningFor(text), signature: expect.any(String) as string },
      ]);
      expect(first.calls).toHaveLength(1);

      const assistant = {
        role: "assistant",
        content: first.content,
        tool_calls: first.calls,
        thinking_blocks: first.blocks,
      } as OpenAI.ChatCompletionAssistantMessageParam;
      const second = await streamed([
        ask,
        assistant,
        { role: "tool", tool_call_id: first.calls[0]!.id, content: RESULT },
      ]);
      expect(second.warnings).toBeNull();
      expect(second.reasoning).toBe(reasoningFor(RESULT));
      expect(second.content).toBe(`echo: ${RESULT}`);
      expect(JSON.parse(fakes.anthropic!.requests.at(-1)!.body)).toMatchObject({
        thinking: { type: "enabled", budget_tokens: 1024 },
      });
      expect(assistantTurn().content.slice(0, 2)).toEqual(first.blocks);
    });

    it("without its thinking_blocks the result is answered without thinking, named in X-Switchyard-Warnings", async () => {
      const { client, ask, first } = await firstTurn();
      const { content, tool_calls } = first.choices[0]!.message;
      const { response } = await client.chat.completions
        .create({
          model: "claude-sonnet-4-5",
          messages: [
            ask,
            { role: "assistant", content, tool_calls },
            { role: "tool", tool_call_id: tool_calls![0]!.id, content: RESULT },
          ],
          tools,
          reasoning_effort: "low",
        })
        .withResponse();
      // The warning says what to send back to keep thinking.
      expect(response.headers.get("x-switchyard-warnings")).toMatch(
        /reasoning_effort: Anthropic needs the earlier turn's thinking back \(the assistant message's thinking_blocks/,
      );
      expect(JSON.parse(fakes.anthropic!.requests.at(-1)!.body)).not.toHaveProperty("thinking");
    });

    it("an OpenAI-compatible upstream gets the message without them, and the warning names them", async () => {
      const { client } = await userWith(fakes.alice!);
      const { response } = await client.chat.completions
        .create({
          model: "gpt-4o-mini",
          messages: [
            { role: "user", content: "hi" },
            {
              role: "assistant",
              content: "hello",
              thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "c2ln" }],
            } as OpenAI.ChatCompletionAssistantMessageParam,
            { role: "user", content: "again" },
          ],
        })
        .withResponse();
      expect(response.headers.get("x-switchyard-warnings")).toContain(
        "messages[].thinking_blocks: OpenAI-format upstreams do not take thinking_blocks back",
      );
      const sent = JSON.parse(fakes.alice!.requests.at(-1)!.body) as { messages: unknown[] };
      expect(sent.messages[1]).toEqual({ role: "assistant", content: "hello" });
    });
  });

  it("lists `<connection>/<model>` ids and embeds", async () => {
    const { client } = await userWith(fakes.alice!, "openai-compatible", "text-embedding-3-small");
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain("main/text-embedding-3-small");
    const embeddings = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it("errors come in OpenAI's envelope: a bad request is 400, no key is 401", async () => {
    const { client } = await userWith(fakes.alice!);
    await expect(
      client.chat.completions.create({ model: "gpt-4o-mini", messages: [] }),
    ).rejects.toMatchObject({ status: 400, error: { type: "invalid_request_error" } });
    await expect(
      client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
        logprobs: true,
        top_logprobs: 21,
      }),
    ).rejects.toMatchObject({ status: 400, error: { type: "invalid_request_error", param: "top_logprobs" } });
    const anonymous = new OpenAI({
      apiKey: "sy-not-a-real-key-000000000000000000000",
      baseURL,
      maxRetries: 0,
    });
    await expect(
      anonymous.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it("a user with no connection gets a clear 400", async () => {
    const user: TestUser = await t().newUser();
    const { key } = await t().apiKey(user, { name: "k" });
    const client = new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
    await expect(
      client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it("records every call in usage_records with user, key, connection, model and tokens", async () => {
    const { user, client } = await userWith(fakes.alice!);
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "count me" }],
    });
    // The recorder writes in batches off the hot path: poll until its interval has passed.
    let rows: {
      user_id: string;
      model: string | null;
      input_tokens: number;
      status_code: number;
      api_key_id: string | null;
    }[] = [];
    for (let i = 0; i < 40 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await t().sy.db.selectFrom("usage_records").selectAll().where("user_id", "=", user.id).execute();
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: "gpt-4o-mini", status_code: 200 });
    expect(rows[0]?.input_tokens).toBeGreaterThan(0);
    expect(rows[0]?.api_key_id).not.toBeNull();
  });
});
