import { afterAll, beforeAll, expect, it } from "vitest";
import type { Switchyard } from "../../src/app.js";
import type { HttpApp } from "../../src/http/http-app.js";
import { createHttpServer } from "../../src/http/server.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import { composeForTest } from "../support/switchyard.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

// An embedded SQLite file cannot "go away" while the process holds it open, so this runs on the
// two networked dialects, each through a TCP proxy the test can cut.
describeEachDialect("/readyz follows the database", (dialect) => {
  if (dialect === "sqlite") {
    it.skip("does not apply: SQLite is in-process", () => {});
    return;
  }
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let sy: Switchyard;
  let app: HttpApp;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    const real = new URL(testDb.url);
    proxy = await startTcpProxy(real.hostname, Number(real.port));
    const viaProxy = new URL(testDb.url);
    viaProxy.port = String(proxy.port);
    ({ sy } = await composeForTest({ databaseUrl: viaProxy.toString() }));
    app = await createHttpServer(sy);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await sy?.close();
    await proxy?.close();
    await testDb?.drop();
  });

  it("is 200, turns 503 when the database goes away, and 200 again when it is back", async () => {
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(200);

    await proxy.cut();
    const down = await app.inject({ url: "/readyz" });
    expect(down.statusCode).toBe(503);
    expect(down.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(down.headers["retry-after"]).toBe("5");
    expect(down.json()).toMatchObject({ code: "service_unavailable" });
    // Liveness does not depend on the database.
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);

    await proxy.restore();
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
      status = (await app.inject({ url: "/readyz" })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  });

  it("a request that needs the database while it is away is 503 with Retry-After, under /api and /v1, not a 500", async () => {
    const registered = await app.inject({
      method: "POST",
      url: "/api/auth/register",
      payload: { email: `down-${dialect}@example.test`, password: "correct horse battery" },
    });
    expect(registered.statusCode).toBe(201);
    const auth = { authorization: `Bearer ${registered.json<{ access_token: string }>().access_token}` };

    await proxy.cut();
    try {
      const api = await app.inject({ url: "/api/llm-providers", headers: auth });
      expect(api.statusCode).toBe(503);
      expect(api.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(api.headers["retry-after"]).toBe("5");
      expect(api.json()).toMatchObject({ code: "service_unavailable" });

      const v1 = await app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: auth,
        payload: { model: "any", messages: [{ role: "user", content: "hi" }] },
      });
      expect(v1.statusCode).toBe(503);
      expect(v1.headers["retry-after"]).toBe("5");
      expect(v1.json()).toMatchObject({ error: { type: "api_error" } });
    } finally {
      await proxy.restore();
    }
  });
});
