import { describe, expect, it } from "vitest";
import { createChunkEncoder, encodeChatCompletion } from "../../src/gateway/encode-openai-response.js";

/** Every `data:` event of an SSE text, JSON-parsed (`[DONE]` kept as the string). */
function events(text: string): unknown[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((block) => block.length > 0)
    .map((block) => {
      expect(block.startsWith("data: ")).toBe(true);
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? data : (JSON.parse(data) as unknown);
    });
}

describe("the OpenAI chunk encoder", () => {
  const id = 'chatcmpl-"quoted"\\id';
  const model = "conn/mödel\u2028x";
  const encoder = createChunkEncoder(id, model, 1_700_000_000, true);
  const head = { id, object: "chat.completion.chunk", created: 1_700_000_000, model };

  it("writes the role chunk, text deltas and the finish as OpenAI does", () => {
    expect(events(encoder.start())).toEqual([
      {
        ...head,
        choices: [
          { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
        ],
      },
    ]);
    const tricky = 'line\nbreak "quote" \\ back \u0000 nul \u2028 ls 😀 emoji </script>';
    expect(events(encoder.part({ type: "text-delta", delta: tricky }))).toEqual([
      { ...head, choices: [{ index: 0, delta: { content: tricky }, logprobs: null, finish_reason: null }] },
    ]);
    expect(
      events(
        encoder.part({
          type: "finish",
          finishReason: "length",
          usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
        }),
      ),
    ).toEqual([
      { ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "length" }] },
      { ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
      "[DONE]",
    ]);
  });

  it("writes tool-call deltas with the id and name only on the first", () => {
    expect(
      events(
        encoder.part({ type: "tool-call-delta", index: 1, id: "call_1", name: "f", argumentsDelta: '{"a"' }),
      ),
    ).toEqual([
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index: 1, id: "call_1", type: "function", function: { name: "f", arguments: '{"a"' } },
              ],
            },
            logprobs: null,
            finish_reason: null,
          },
        ],
      },
    ]);
    expect(events(encoder.part({ type: "tool-call-delta", index: 1, argumentsDelta: ":1}" }))).toEqual([
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 1, function: { arguments: ":1}" } }] },
            logprobs: null,
            finish_reason: null,
          },
        ],
      },
    ]);
  });

  it("writes reasoning deltas as reasoning_content, the field OpenAI-compatible clients read", () => {
    const tricky = 'a "quoted"\nthought \u2028';
    expect(events(encoder.part({ type: "reasoning-delta", delta: tricky }))).toEqual([
      {
        ...head,
        choices: [{ index: 0, delta: { reasoning_content: tricky }, logprobs: null, finish_reason: null }],
      },
    ]);
  });

  it("writes signed reasoning as LiteLLM streams thinking_blocks: each piece also a one-piece block, the signature closing it", () => {
    const tricky = 'a "quoted"\nthought \u2028';
    const delta = (chunk: string) =>
      (events(chunk)[0] as { choices: { delta: unknown }[] }).choices[0]!.delta;
    // reasoning_content is what it is for unsigned reasoning, so a client reading only that sees no change.
    expect(delta(encoder.part({ type: "reasoning-delta", delta: tricky, signed: true }))).toEqual({
      reasoning_content: tricky,
      thinking_blocks: [{ type: "thinking", thinking: tricky }],
    });
    const signature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pk+/=";
    const signed = encoder.part({ type: "reasoning-signature", signature });
    expect(events(signed)).toEqual([
      {
        ...head,
        choices: [
          {
            index: 0,
            delta: { thinking_blocks: [{ type: "thinking", thinking: "", signature }] },
            logprobs: null,
            finish_reason: null,
          },
        ],
      },
    ]);
    expect(delta(encoder.part({ type: "redacted-reasoning", data: "EmwKAhgB/+==" }))).toEqual({
      thinking_blocks: [{ type: "redacted_thinking", data: "EmwKAhgB/+==" }],
    });
  });

  it("a text delta without logprobs is the whole chunk's bytes, logprobs null (the fast path)", () => {
    expect(encoder.part({ type: "text-delta", delta: 'a "b"\n' })).toBe(
      `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: 'a "b"\n' }, logprobs: null, finish_reason: null }] })}\n\n`,
    );
  });

  const logprobs = {
    content: [
      {
        token: "Hi\u2028",
        logprob: -0.25,
        bytes: [72, 105, 226, 128, 168],
        top_logprobs: [{ token: "Hi\u2028", logprob: -0.25, bytes: [72, 105, 226, 128, 168] }],
      },
    ],
    refusal: null,
  };

  it("writes a delta's logprobs on that delta's chunk, as OpenAI does, in the same bytes as the whole chunk", () => {
    const chunk = encoder.part({ type: "text-delta", delta: "Hi\u2028", logprobs });
    expect(chunk).toBe(
      `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: "Hi\u2028" }, logprobs, finish_reason: null }] })}\n\n`,
    );
    // Logprobs a server sent on a chunk of their own: an empty content delta carries them.
    expect(events(encoder.part({ type: "text-delta", delta: "", logprobs }))).toEqual([
      { ...head, choices: [{ index: 0, delta: { content: "" }, logprobs, finish_reason: null }] },
    ]);
  });

  it("writes refusal deltas as OpenAI streams them, with their logprobs", () => {
    const ofRefusal = { content: null, refusal: logprobs.content };
    expect(events(encoder.part({ type: "refusal-delta", delta: "I can't" }))).toEqual([
      {
        ...head,
        choices: [{ index: 0, delta: { refusal: "I can't" }, logprobs: null, finish_reason: null }],
      },
    ]);
    expect(events(encoder.part({ type: "refusal-delta", delta: "Hi\u2028", logprobs: ofRefusal }))).toEqual([
      {
        ...head,
        choices: [{ index: 0, delta: { refusal: "Hi\u2028" }, logprobs: ofRefusal, finish_reason: null }],
      },
    ]);
  });

  it("leaves the usage chunk out unless it was asked for", () => {
    const plain = createChunkEncoder("c", "m", 1, false);
    const finish = events(
      plain.part({
        type: "finish",
        finishReason: "stop",
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
    expect(finish).toHaveLength(2);
    expect(finish[1]).toBe("[DONE]");
  });

  it("writes an error as OpenAI's envelope", () => {
    expect(events(encoder.error('upstream "x" failed', "api_error"))).toEqual([
      { error: { message: 'upstream "x" failed', type: "api_error", param: null, code: null } },
    ]);
  });
});

describe("the OpenAI completion encoder", () => {
  const result = {
    text: "the answer",
    toolCalls: [],
    finishReason: "stop" as const,
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    warnings: [],
  };

  it("puts the reasoning in the message as reasoning_content", () => {
    const body = encodeChatCompletion("c", "m", 1, { ...result, reasoning: "because" });
    expect(body.choices[0]!.message).toEqual({
      role: "assistant",
      content: "the answer",
      refusal: null,
      reasoning_content: "because",
    });
  });

  it("writes the reasoning blocks as LiteLLM's thinking_blocks, in their order, signatures as they came", () => {
    const body = encodeChatCompletion("c", "m", 1, {
      ...result,
      reasoning: "First, then.",
      reasoningBlocks: [
        { type: "reasoning", text: "First, ", signature: "c2lnMQ==" },
        { type: "redacted-reasoning", data: "EmwKAhgBEgy3va3pzix" },
        { type: "reasoning", text: "then.", signature: "c2lnMg==" },
      ],
    });
    expect(body.choices[0]!.message).toEqual({
      role: "assistant",
      content: "the answer",
      refusal: null,
      reasoning_content: "First, then.",
      thinking_blocks: [
        { type: "thinking", thinking: "First, ", signature: "c2lnMQ==" },
        { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
        { type: "thinking", thinking: "then.", signature: "c2lnMg==" },
      ],
    });
  });

  it("leaves reasoning_content out when there was none, and writes refusal and logprobs null, as OpenAI does", () => {
    const body = encodeChatCompletion("c", "m", 1, result);
    // refusal is always there: OpenAI writes it, and its SDK types it `string | null`, not optional.
    expect(body.choices[0]!.message).toEqual({ role: "assistant", content: "the answer", refusal: null });
    expect(body.choices[0]!.logprobs).toBeNull();
  });

  it("answers a refusal in the message, content null", () => {
    const body = encodeChatCompletion("c", "m", 1, {
      ...result,
      text: null,
      refusal: "I can't help with that.",
    });
    expect(body.choices[0]!.message).toEqual({
      role: "assistant",
      content: null,
      refusal: "I can't help with that.",
    });
    expect(body.choices[0]!.finish_reason).toBe("stop");
  });

  it("puts the upstream's logprobs on the choice", () => {
    const logprobs = {
      content: [{ token: "the", logprob: -0.5, bytes: [116, 104, 101], top_logprobs: [] }],
      refusal: null,
    };
    const body = encodeChatCompletion("c", "m", 1, { ...result, logprobs });
    expect(body.choices[0]!.logprobs).toEqual(logprobs);
  });
});
