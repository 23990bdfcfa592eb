import { describe, expect, it } from "vitest";
import { createChunkEncoder } from "../../src/gateway/encode-openai-response.js";
import { OpenAIEventStream } from "../../src/gateway/openai-event-stream.js";
import type { ChatStreamPart } from "../../src/providers/chat-spec.js";

const finish: ChatStreamPart = {
  type: "finish",
  finishReason: "stop",
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
};

/** Parts from a list; `fail` throws instead of the part at that index. */
function source(parts: ChatStreamPart[], options: { fail?: number } = {}) {
  const state = { reads: 0, returned: 0 };
  const iterator: AsyncIterator<ChatStreamPart> = {
    next: async () => {
      const i = state.reads++;
      if (i === options.fail) throw new Error("upstream broke");
      return i < parts.length ? { done: false, value: parts[i]! } : { done: true, value: undefined };
    },
    return: async () => {
      state.returned++;
      return { done: true, value: undefined };
    },
  };
  return { iterator, state };
}

function hooks(signal = new AbortController().signal) {
  const seen: string[] = [];
  return {
    seen,
    hooks: {
      signal,
      onFinish: () => void seen.push("finish"),
      onFailure: (error: unknown) => {
        seen.push(`failure: ${(error as Error).message}`);
        return "data: failed\n\n";
      },
      onUnfinished: () => void seen.push("unfinished"),
    },
  };
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

const encoder = () => createChunkEncoder("id", "m", 1, false);

describe("OpenAIEventStream", () => {
  it("writes the role chunk, the parts and the finish, then returns the parts in the background", async () => {
    const { iterator, state } = source([{ type: "text-delta", delta: "hi" }, finish]);
    const h = hooks();
    const events = await collect(new OpenAIEventStream(iterator, encoder(), h.hooks));
    expect(events).toHaveLength(3);
    expect(events[0]).toContain('"role":"assistant"');
    expect(events[1]).toContain('"content":"hi"');
    expect(events[2]).toContain("data: [DONE]");
    expect(h.seen).toEqual(["finish"]);
    await new Promise((resolve) => setImmediate(resolve));
    // Returning the parts after their finish is what reads the upstream's remainder (the parts'
    // own concern, see providers-chat-request.test.ts); the events ask no more of them.
    expect(state.reads).toBe(2);
    expect(state.returned).toBe(1);
  });

  it("ends with OpenAI's error envelope when the parts fail after the start", async () => {
    const { iterator, state } = source([{ type: "text-delta", delta: "hi" }], { fail: 1 });
    const h = hooks();
    const events = await collect(new OpenAIEventStream(iterator, encoder(), h.hooks));
    expect(events.at(-1)).toBe("data: failed\n\n");
    expect(h.seen).toEqual(["failure: upstream broke"]);
    expect(state.returned).toBe(1);
  });

  it("a caller that leaves releases the parts and the call is recorded as unfinished", async () => {
    const { iterator, state } = source([
      { type: "text-delta", delta: "a" },
      { type: "text-delta", delta: "b" },
      finish,
    ]);
    const h = hooks();
    for await (const event of new OpenAIEventStream(iterator, encoder(), h.hooks)) {
      if (event.includes('"content":"a"')) break;
    }
    expect(state.returned).toBe(1);
    expect(h.seen).toEqual(["unfinished"]);
  });

  it("stops at the next part once the caller's signal aborts", async () => {
    const controller = new AbortController();
    const { iterator, state } = source([{ type: "text-delta", delta: "a" }, finish]);
    const h = hooks(controller.signal);
    const stream = new OpenAIEventStream(iterator, encoder(), h.hooks);
    await stream.next(); // the role chunk
    controller.abort();
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(state.returned).toBe(1);
    expect(h.seen).toEqual(["unfinished"]);
  });
});
