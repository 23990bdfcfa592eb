import net from "node:net";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import type { Switchyard } from "../../src/app.js";
import type { HttpApp } from "../../src/http/http-app.js";
import { createHttpServer } from "../../src/http/server.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import { composeForTest, type LogCapture } from "../support/switchyard.js";

// Requests that fail before a route is found, or before Node's HTTP parser makes a request of them,
// or that a client abandons half-sent: each is answered in our formats with a request id (or, with
// nobody left to answer, only logged as the client's doing), never in Fastify's or Node's own.

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `bytes` on a fresh connection and reads until the server closes it. Write errors are
 * ignored: the server may refuse oversized headers before the client has finished sending them.
 */
function exchange(port: number, bytes: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", () => {});
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no close from the server; received ${JSON.stringify(received)}`));
    });
    socket.on("close", () => {
      const [head = "", ...rest] = received.split("\r\n\r\n");
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") });
    });
  });
}

describeEachDialect("HTTP errors from before a route or a request", (dialect) => {
  let testDb: TestDatabase;
  let sy: Switchyard;
  let logs: LogCapture;
  let app: HttpApp;
  let port: number;

  const logLines = () => logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    ({ sy, logs } = await composeForTest({ databaseUrl: testDb.url }));
    app = await createHttpServer(sy);
    app.post("/api/test/echo", async (request) => request.body);
    app.post("/v1/test/echo", async (request) => request.body);
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });

  afterAll(async () => {
    await app?.close();
    await sy?.close();
    await testDb?.drop();
  });

  it("refuses a path with broken percent-encoding 400 in problem+json, and in OpenAI's envelope under /v1", async () => {
    const api = await app.inject({ url: "/api/llm-providers/%E0%A4%A" });
    expect(api.statusCode).toBe(400);
    expect(api.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(api.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(api.json()).toEqual({
      type: "urn:switchyard:error:bad_request",
      title: "Bad request",
      status: 400,
      detail: expect.stringMatching(/percent-encoded/),
      code: "bad_request",
      request_id: api.headers["x-request-id"],
    });

    const v1 = await app.inject({ url: "/v1/models/%zz" });
    expect(v1.statusCode).toBe(400);
    expect(v1.headers["content-type"]).toMatch(/^application\/json/);
    expect(v1.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(v1.json()).toEqual({
      error: {
        message: expect.stringMatching(/percent-encoded/),
        type: "invalid_request_error",
        param: null,
        code: "bad_request",
      },
    });

    // A caller's plain request id is kept here as everywhere.
    const kept = await app.inject({ url: "/api/x/%E0", headers: { "x-request-id": "trace-1" } });
    expect(kept.headers["x-request-id"]).toBe("trace-1");
    expect(kept.json().request_id).toBe("trace-1");
  });

  /** How many requests /metrics has counted under these labels (0 before the first). */
  async function counted(labels: { method: string; route: string; status: number }): Promise<number> {
    const res = await app.inject({ url: "/metrics" });
    const series = `switchyard_http_request_duration_seconds_count{method="${labels.method}",route="${labels.route}",status="${labels.status}"} `;
    const line = res.body.split("\n").find((l) => l.startsWith(series));
    return line === undefined ? 0 : Number(line.slice(series.length));
  }

  it("writes an access-log line for a path it cannot decode, and counts it as unmatched", async () => {
    const before = await counted({ method: "GET", route: "unmatched", status: 400 });
    const cases = [
      { id: "bad-url-api", target: "/api/%zz?token=sy-query-secret", path: "/api/%zz" },
      { id: "bad-url-v1", target: "/v1/%E0%A4%A", path: "/v1/%E0%A4%A" },
    ];
    for (const { id, target } of cases) {
      // Over a socket, as a client sends it: nothing on the way normalises the path.
      const res = await exchange(
        port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(400);
      expect(res.headers["x-request-id"]).toBe(id);
    }
    for (const { id, path } of cases) {
      await vi.waitFor(() =>
        expect(logLines().filter((line) => line.request_id === id)).toEqual([
          expect.objectContaining({ level: 30, msg: "request completed", method: "GET", path, status: 400 }),
        ]),
      );
      const [line] = logLines().filter((l) => l.request_id === id);
      expect(line!.duration_ms).toEqual(expect.any(Number));
      expect(Object.keys(line!)).not.toContain("req");
    }
    expect(logs.text()).not.toContain("sy-query-secret");
    // Counted once each, under the one label every unrouted request gets (no series per path).
    expect(await counted({ method: "GET", route: "unmatched", status: 400 })).toBe(before + 2);
    const metrics = (await app.inject({ url: "/metrics" })).body;
    expect(metrics).not.toContain("%zz");
    expect(metrics).not.toContain("%E0");
  });

  it("lets a long path parameter reach the route, which answers it as any wrong id", async () => {
    const res = await app.inject({ url: `/api/llm-providers/${"a".repeat(150)}` });
    expect(res.statusCode).toBe(422);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.headers["x-request-id"]).toBeDefined();
    expect(res.json()).toMatchObject({ code: "validation_failed", errors: [{ field: "params:/id" }] });

    // Past any URL Node reads (only inject gets there) the router gives up: no route, not a 414.
    const huge = await app.inject({ url: `/api/llm-providers/${"a".repeat(20_000)}` });
    expect(huge.statusCode).toBe(404);
    expect(huge.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(huge.json()).toMatchObject({ code: "not_found", request_id: huge.headers["x-request-id"] });
  });

  it("answers headers over Node's limit 431 in problem+json with a request id, and closes", async () => {
    const before = await counted({ method: "unknown", route: "unmatched", status: 431 });
    const res = await exchange(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(60_000)}\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect(res.headers.connection).toBe("close");
    expect(Number(res.headers["content-length"])).toBe(Buffer.byteLength(res.body));
    const requestId = res.headers["x-request-id"];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(res.body)).toEqual({
      type: "urn:switchyard:error:headers_too_large",
      title: "Request header fields too large",
      status: 431,
      detail: expect.any(String),
      code: "headers_too_large",
      request_id: requestId,
    });
    expect(logLines()).toContainEqual(
      expect.objectContaining({ level: 30, request_id: requestId, status: 431, code: "HPE_HEADER_OVERFLOW" }),
    );
    // Counted with the unrouted requests; the method is not known, so none is made up.
    expect(await counted({ method: "unknown", route: "unmatched", status: 431 })).toBe(before + 1);
  });

  it("answers malformed framing 400 in problem+json with a request id, and closes", async () => {
    const secret = "sy-framing-secret-0123456789";
    const res = await exchange(
      port,
      `GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\nContent-Length: abc\r\n\r\n`,
    );
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect(res.headers.connection).toBe("close");
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 400, code: "bad_request", title: "Bad request" });
    expect(body.request_id).toBe(res.headers["x-request-id"]);
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    // The parser's error carries the raw bytes; none of them reach the log.
    expect(logs.text()).not.toContain(secret);
  });

  it("drops a connection reset by the client without an answer or an error line", async () => {
    const before = logs.lines.length;
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = logLines().slice(before);
    expect(after.filter((line) => Number(line.level) >= 40)).toEqual([]);
    expect(after).not.toContainEqual(expect.objectContaining({ msg: "request refused by the HTTP parser" }));
  });

  it("logs a client that hangs up mid-body at info, not as an unhandled error", async () => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(
      "POST /api/test/echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: hangup-1\r\n" +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"a',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();

    await vi.waitFor(() =>
      expect(logLines()).toContainEqual(
        expect.objectContaining({
          level: 30,
          request_id: "hangup-1",
          msg: "client closed the connection before the request was complete",
        }),
      ),
    );
    const lines = logLines().filter((line) => line.request_id === "hangup-1");
    expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain("stack");
  });

  it("refuses a __proto__ key as a validation error naming it, not as invalid JSON", async () => {
    const json = { "content-type": "application/json" };
    const api = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      headers: json,
      payload: '{"model":"m","__proto__":{"x":1}}',
    });
    expect(api.statusCode).toBe(422);
    expect(api.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(api.json()).toMatchObject({
      code: "validation_failed",
      detail: expect.stringContaining("/__proto__"),
      request_id: api.headers["x-request-id"],
      errors: [{ field: "/__proto__", message: expect.stringMatching(/not accepted/) }],
    });

    const nested = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      headers: json,
      payload: '{"a":[{"b":1},{"constructor":{"prototype":{"x":1}}}]}',
    });
    expect(nested.statusCode).toBe(422);
    expect(nested.json().errors).toEqual([
      { field: "/a/1/constructor/prototype", message: expect.any(String) },
    ]);

    const v1 = await app.inject({
      method: "POST",
      url: "/v1/test/echo",
      headers: json,
      payload: '{"__proto__":{"x":1},"model":"m"}',
    });
    expect(v1.statusCode).toBe(400);
    expect(v1.json()).toEqual({
      error: {
        message: expect.stringContaining("__proto__"),
        type: "invalid_request_error",
        param: "__proto__",
        code: "validation_failed",
      },
    });
    expect(v1.headers["x-request-id"]).toBeDefined();

    // The word as a value is no key, and JSON that is broken is still reported as such.
    const value = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      headers: json,
      payload: '{"name":"__proto__"}',
    });
    expect(value.statusCode).toBe(200);
    expect(value.json()).toEqual({ name: "__proto__" });
    const broken = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      headers: json,
      payload: '{"__proto__":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe("bad_request");
  });

  it("answers an unknown route 404 whatever its JSON body, empty or malformed", async () => {
    const empty = await app.inject({
      method: "DELETE",
      url: "/api/nope",
      headers: { "content-type": "application/json" },
    });
    expect(empty.statusCode).toBe(404);
    expect(empty.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(empty.json()).toMatchObject({
      code: "not_found",
      detail: "No route for DELETE /api/nope",
      request_id: empty.headers["x-request-id"],
    });

    const malformed = await app.inject({
      method: "POST",
      url: "/v1/nope",
      headers: { "content-type": "application/json" },
      payload: "{nope",
    });
    expect(malformed.statusCode).toBe(404);
    expect(malformed.json().error).toMatchObject({ type: "not_found_error", code: "not_found" });
    expect(malformed.headers["x-request-id"]).toBeDefined();

    // A known route keeps its body errors.
    const known = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      headers: { "content-type": "application/json" },
    });
    expect(known.statusCode).toBe(400);
    expect(known.json().code).toBe("bad_request");
  });
});
