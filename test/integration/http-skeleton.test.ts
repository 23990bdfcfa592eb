import { randomUUID } from "node:crypto";
import { Type } from "typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Switchyard } from "../../src/app.js";
import type { HttpApp } from "../../src/http/http-app.js";
import { createHttpServer } from "../../src/http/server.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import { composeForTest, type LogCapture } from "../support/switchyard.js";

describeEachDialect("HTTP skeleton", (dialect) => {
  let testDb: TestDatabase;
  let sy: Switchyard;
  let logs: LogCapture;
  let app: HttpApp;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    ({ sy, logs } = await composeForTest({ databaseUrl: testDb.url }));
    app = await createHttpServer(sy);
    // A route with a body schema and one that fails, to drive the error handler.
    app.post(
      "/api/test/echo",
      {
        schema: {
          body: Type.Object(
            { name: Type.String({ minLength: 1 }), n: Type.Integer() },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => request.body,
    );
    app.post(
      "/v1/test/echo",
      { schema: { body: Type.Object({ model: Type.String() }) } },
      async (request) => request.body,
    );
    app.get("/api/test/boom", async () => {
      throw new Error("select secret_column from db where password='hunter2'");
    });
    // A write for a user deleted meanwhile: the driver's own foreign-key error, as a race gives it.
    app.post("/api/test/orphan", async () => {
      await sy.db
        .insertInto("usage_records")
        .values({
          id: randomUUID(),
          user_id: randomUUID(),
          api_key_id: null,
          connection_id: null,
          endpoint: "chat.completions",
          provider_type: null,
          model: null,
          status_code: 200,
          error_code: null,
        })
        .execute();
      return { stored: true };
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await sy?.close();
    await testDb?.drop();
  });

  it("answers /healthz and /readyz with 200", async () => {
    expect((await app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    const ready = await app.inject({ url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });
  });

  it("gives every response a request id, keeping a plain one the caller sent", async () => {
    const generated = await app.inject({ url: "/healthz" });
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await app.inject({ url: "/healthz", headers: { "x-request-id": "trace-abc.123" } });
    expect(kept.headers["x-request-id"]).toBe("trace-abc.123");
    const replaced = await app.inject({
      url: "/healthz",
      headers: { "x-request-id": "bad id\u0001<script>" },
    });
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers an unknown /api route with problem+json 404", async () => {
    const res = await app.inject({ url: "/api/nothing-here?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({
      status: 404,
      code: "not_found",
      title: "Not found",
      type: "urn:switchyard:error:not_found",
    });
    expect(body.request_id).toBe(res.headers["x-request-id"]);
  });

  it("answers an unknown /v1 route in OpenAI's error envelope", async () => {
    const res = await app.inject({ url: "/v1/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      error: { message: expect.any(String), type: "not_found_error", param: null, code: "not_found" },
    });
  });

  it("turns a schema violation into 422 naming the field (400 under /v1, as OpenAI answers)", async () => {
    const missing = await app.inject({ method: "POST", url: "/api/test/echo", payload: { name: "a" } });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: "validation_failed", errors: [{ field: "/n" }] });

    const wrongType = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      payload: { name: "a", n: "x" },
    });
    expect(wrongType.statusCode).toBe(422);
    expect(wrongType.json().errors[0].field).toBe("/n");

    const extra = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      payload: { name: "a", n: 1, evil: true },
    });
    expect(extra.statusCode).toBe(422);
    expect(extra.json().errors[0].field).toBe("/evil");

    const v1 = await app.inject({ method: "POST", url: "/v1/test/echo", payload: {} });
    expect(v1.statusCode).toBe(400);
    expect(v1.json().error).toMatchObject({
      type: "invalid_request_error",
      param: "model",
      code: "validation_failed",
    });
  });

  it("answers malformed JSON 400, a wrong content type 415 and an oversized body 413", async () => {
    const json = { "content-type": "application/json" };
    const bad = await app.inject({ method: "POST", url: "/api/test/echo", headers: json, payload: "{nope" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe("bad_request");

    const xml = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      headers: { "content-type": "application/xml" },
      payload: "<a/>",
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe("unsupported_media_type");

    const big = await app.inject({
      method: "POST",
      url: "/api/test/echo",
      headers: json,
      payload: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024), n: 1 }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe("payload_too_large");
  });

  it("answers an unexpected error 500 without its message, and logs it", async () => {
    const res = await app.inject({ url: "/api/test/boom" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: "internal_error", detail: "An unexpected error occurred" });
    expect(res.body).not.toContain("hunter2");
    expect(res.body).not.toContain("secret_column");
    // The error line and the access line carry the request id (the request's logger is made lazily).
    const requestId = res.headers["x-request-id"];
    const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "unhandled error", request_id: requestId }));
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "request failed",
        request_id: requestId,
        status: 500,
        path: "/api/test/boom",
      }),
    );
  });

  it("answers a write whose owner is gone (a foreign-key violation the service did not map) 404, not 500", async () => {
    const res = await app.inject({ method: "POST", url: "/api/test/orphan" });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toMatchObject({ code: "not_found", request_id: res.headers["x-request-id"] });
    expect(res.body).not.toContain("usage_records");
  });

  it("never writes the Authorization header or cookies to the log", async () => {
    const secret = "sy-test-secret-token-0123456789";
    await app.inject({
      url: "/api/nothing",
      headers: { authorization: `Bearer ${secret}`, cookie: `s=${secret}` },
    });
    await app.inject({ url: "/api/test/boom", headers: { authorization: `Bearer ${secret}` } });
    expect(logs.text()).not.toContain(secret);
  });

  it("serves an OpenAPI 3.1 document built from the route schemas, and /docs", async () => {
    const res = await app.inject({ url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/healthz", "/readyz"]));
    expect(doc.paths["/openapi.json"]).toBeUndefined();
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(["code", "status", "request_id"]),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/readyz"].get.responses["503"]).toBeDefined();

    // Every /api operation documents its errors, and every one but the sign-in routes its bearer auth.
    const open = new Set(["/api/auth/register", "/api/auth/login", "/api/auth/refresh"]);
    for (const [path, operations] of Object.entries(
      doc.paths as Record<
        string,
        Record<string, { security?: unknown; responses: Record<string, unknown>; summary?: string }>
      >,
    )) {
      if (!path.startsWith("/api/") || path.startsWith("/api/test/")) continue;
      for (const [method, op] of Object.entries(operations)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(
          Object.keys(op.responses).some((s) => s.startsWith("4")),
          `${method} ${path}`,
        ).toBe(true);
        if (!open.has(path)) expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
      }
    }

    const docs = await app.inject({ url: "/docs/" });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers["content-type"]).toMatch(/text\/html/);
  });
});

describe("config through the composition root", () => {
  it("refuses to start on a database URL with an unknown scheme, naming the variable", async () => {
    await expect(composeForTest({ databaseUrl: "oracle://x/y" })).rejects.toThrow(/SWITCHYARD_DATABASE_URL/);
  });
});
