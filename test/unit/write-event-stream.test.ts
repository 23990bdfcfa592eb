import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { writeEventStream } from "../../src/http/write-event-stream.js";

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Serves `events` through writeEventStream and returns the whole body a plain client read. */
async function serveAndRead(events: () => AsyncIterable<string>): Promise<string> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    void writeEventStream(events(), res, () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
  return response.text();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("writeEventStream", () => {
  it("finishes after a batch over the socket's high-water mark followed by a pause", async () => {
    // The write of the big batch returns false; the socket drains while the loop waits for the next
    // event. That drain must not be waited for again (the stream used to hang here for good).
    const big = `data: ${"x".repeat(64 * 1024)}\n\n`;
    const body = await serveAndRead(async function* () {
      yield "data: first\n\n";
      yield big;
      await pause(100);
      yield "data: tail\n\n";
      await pause(50);
      yield "data: [DONE]\n\n";
    });
    expect(body).toBe(`data: first\n\n${big}data: tail\n\ndata: [DONE]\n\n`);
  });

  it("delivers many events produced together in order", async () => {
    const events = Array.from({ length: 2_000 }, (_, i) => `data: ${i}\n\n`);
    const body = await serveAndRead(async function* () {
      for (const [i, event] of events.entries()) {
        yield event;
        if (i % 500 === 499) await pause(20);
      }
    });
    expect(body).toBe(events.join(""));
  });
});
