import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/providers/errors.js";
import { readNdjson, readSseEvents, type SseEvent } from "../../src/providers/sse.js";

// Pure: the bodies are byte arrays fed in chunks; nothing to fake.

const encoder = new TextEncoder();

async function* chunked(bytes: Uint8Array, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of cuts) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
  yield bytes.subarray(start);
}

/** Every batch's items in order; a batch is never empty. */
async function collect<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of batches) {
    expect(batch.length).toBeGreaterThan(0);
    out.push(...batch);
  }
  return out;
}

/** Every way to cut `bytes` in two, and once byte by byte. */
function* splits(bytes: Uint8Array): Generator<number[]> {
  for (let cut = 0; cut <= bytes.length; cut++) yield [cut];
  yield Array.from({ length: bytes.length }, (_, i) => i + 1);
}

// An OpenAI stream with what the spec allows around it: a comment, CRLF, a lone CR, a named event,
// multi-line data, an id and retry, and multi-byte characters (é is 2 bytes, 🚀 is 4).
const SSE_TEXT = [
  ": keep-alive comment\n\n",
  'data: {"choices":[{"delta":{"content":"héllo 🚀"}}]}\r\n\r\n',
  "event: ping\rdata: \r\r",
  "id: 7\nretry: 1000\ndata: line one\ndata: line two\n\n",
  "event: message_stop\ndata: {}\n\n",
  "data: [DONE]\n\n",
].join("");

const SSE_EVENTS: SseEvent[] = [
  { data: '{"choices":[{"delta":{"content":"héllo 🚀"}}]}' },
  { event: "ping", data: "" },
  { data: "line one\nline two" },
  { event: "message_stop", data: "{}" },
  { data: "[DONE]" },
];

describe("readSseEvents", () => {
  it("reads the same events wherever the chunks are cut", async () => {
    const bytes = encoder.encode(SSE_TEXT);
    let runs = 0;
    for (const cuts of splits(bytes)) {
      expect(await collect(readSseEvents(chunked(bytes, cuts))), `cut at ${cuts.join(",")}`).toEqual(
        SSE_EVENTS,
      );
      runs++;
    }
    expect(runs).toBe(bytes.length + 2);
  });

  it("drops a leading byte-order mark wherever the chunks are cut, and keeps one anywhere else", async () => {
    const bytes = encoder.encode(`\uFEFF${SSE_TEXT}`);
    for (const cuts of splits(bytes)) {
      expect(await collect(readSseEvents(chunked(bytes, cuts))), `cut at ${cuts.join(",")}`).toEqual(
        SSE_EVENTS,
      );
    }
    // The mark right before the first field: taken for part of its name, the event would be lost.
    const first = encoder.encode("\uFEFFdata: x\n\n");
    for (const cuts of splits(first)) {
      expect(await collect(readSseEvents(chunked(first, cuts))), `cut at ${cuts.join(",")}`).toEqual([
        { data: "x" },
      ]);
    }
    const inner = encoder.encode("data: a\uFEFFb\n\n");
    expect(await collect(readSseEvents(chunked(inner, [1])))).toEqual([{ data: "a\uFEFFb" }]);
  });

  it("reads every pair of cut positions of a short stream", async () => {
    const bytes = encoder.encode('data: {"a":"ü"}\r\n\r\ndata: [DONE]\n\n');
    for (let first = 0; first <= bytes.length; first++) {
      for (let second = first; second <= bytes.length; second++) {
        const events = await collect(readSseEvents(chunked(bytes, [first, second])));
        expect(events).toEqual([{ data: '{"a":"ü"}' }, { data: "[DONE]" }]);
      }
    }
  });

  it("yields an event as soon as its blank line arrives, before the body ends", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* body() {
      yield encoder.encode("data: first\n\n");
      await gate;
      yield encoder.encode("data: second\n\n");
    }
    const iterator = readSseEvents(body())[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: [{ data: "first" }] });
    release();
    expect(await iterator.next()).toEqual({ done: false, value: [{ data: "second" }] });
    expect((await iterator.next()).done).toBe(true);
  });

  it("drops an event the stream cut before its blank line", async () => {
    const events = await collect(readSseEvents(chunked(encoder.encode("data: whole\n\ndata: cut"), [])));
    expect(events).toEqual([{ data: "whole" }]);
  });

  it("stops reading the body when the caller stops", async () => {
    let finished = false;
    async function* body() {
      try {
        yield encoder.encode("data: one\n\ndata: two\n\n");
        yield encoder.encode("data: three\n\n");
      } finally {
        finished = true;
      }
    }
    for await (const events of readSseEvents(body())) {
      expect(events).toEqual([{ data: "one" }, { data: "two" }]); // one chunk, one batch
      break;
    }
    expect(finished).toBe(true);
  });

  it("refuses an event longer than the limit as bad_response", async () => {
    const body = chunked(encoder.encode(`data: ${"x".repeat(200)}`), [50, 100, 150]);
    const error: unknown = await collect(readSseEvents(body, { maxEventChars: 64, where: "up/v1" })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "bad_response" });
    expect((error as Error).message).toContain("up/v1");
  });
});

const NDJSON_TEXT = [
  '{"message":{"content":"héllo"},"done":false}\n',
  "\n",
  '{"message":{"content":"🚀"},"done":false}\r\n',
  '{"done":true,"eval_count":2}', // the last line without its newline
].join("");

const NDJSON_VALUES = [
  { message: { content: "héllo" }, done: false },
  { message: { content: "🚀" }, done: false },
  { done: true, eval_count: 2 },
];

describe("readNdjson", () => {
  it("reads the same values wherever the chunks are cut", async () => {
    const bytes = encoder.encode(NDJSON_TEXT);
    for (const cuts of splits(bytes)) {
      expect(await collect(readNdjson(chunked(bytes, cuts))), `cut at ${cuts.join(",")}`).toEqual(
        NDJSON_VALUES,
      );
    }
  });

  it("drops a leading byte-order mark wherever the chunks are cut", async () => {
    const bytes = encoder.encode(`\uFEFF${NDJSON_TEXT}`);
    for (const cuts of splits(bytes)) {
      expect(await collect(readNdjson(chunked(bytes, cuts))), `cut at ${cuts.join(",")}`).toEqual(
        NDJSON_VALUES,
      );
    }
  });

  it("reads every pair of cut positions", async () => {
    const bytes = encoder.encode('{"a":"é"}\n{"b":2}\n');
    for (let first = 0; first <= bytes.length; first++) {
      for (let second = first; second <= bytes.length; second++) {
        expect(await collect(readNdjson(chunked(bytes, [first, second])))).toEqual([{ a: "é" }, { b: 2 }]);
      }
    }
  });

  it("turns a line that is not JSON into bad_response without the secret in it", async () => {
    const body = chunked(encoder.encode('{"ok":1}\n<html>key my-secret-value</html>\n'), []);
    const error: unknown = await collect(readNdjson(body, { secrets: ["my-secret-value"] })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "bad_response", isRetryable: false });
    expect((error as Error).message).toContain("not JSON");
    expect((error as Error).message).not.toContain("my-secret-value");
  });

  it("refuses a line longer than the limit", async () => {
    const body = chunked(encoder.encode(`{"a":"${"x".repeat(500)}"}\n`), [100, 200, 300]);
    const error: unknown = await collect(readNdjson(body, { maxEventChars: 128 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "bad_response" });
  });
});
