import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createHttpServer } from "../../src/http/server.js";
import type { HttpApp } from "../../src/http/http-app.js";
import type { Switchyard } from "../../src/app.js";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { type TestApp, type TestUser, useTestApp } from "../support/http-harness.js";
import { composeForTest } from "../support/switchyard.js";
import { testEnv } from "../support/test-env.js";

// Real: the HTTP app, the connections and settings services, the database of each dialect, and a
// fake OpenAI-compatible upstream whose recorded requests show whether a refused check reached it.
// The counters are the in-process store, and Redis's in the last suites.

const KEY = "sk-check-limit-secret-0123456789";
const SETTING = "ratelimit.user_connection_checks_per_minute";
const DEFAULT_LIMIT = 10;

function checkLimitCases(t: () => TestApp) {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY, models: ["gpt-4o"] });
  });
  afterAll(async () => {
    await fake.close();
  });

  const tag = () => Math.random().toString(36).slice(2, 8);
  /** Sets the limit (undefined: back to the default) and lets user connections reach the fake. */
  const limitTo = async (value: number | undefined) => {
    await t().setting("connections.allow_private_base_urls", true);
    if (value !== undefined) return t().setting(SETTING, value);
    const res = await t().app.inject({
      method: "DELETE",
      url: `/api/admin/settings/${SETTING}`,
      headers: t().admin.headers,
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const systemConnection = async (owner: TestUser = t().admin) =>
    (
      await t().connection(owner, {
        name: `shared-${tag()}`,
        scope: "system",
        provider_type: "openai-compatible",
        base_url: `${fake.url}/v1`,
        api_key: KEY,
      })
    ).id;
  const test = (user: TestUser, id: string) =>
    t().app.inject({ method: "POST", url: `/api/llm-providers/${id}/test`, headers: user.headers });
  const models = (user: TestUser, id: string) =>
    t().app.inject({ url: `/api/llm-providers/${id}/models`, headers: user.headers });
  const profileTest = (user: TestUser) =>
    t().app.inject({ method: "POST", url: "/api/users/me/llm-profile/test", headers: user.headers });
  const stored = (id: string) =>
    t()
      .sy.db.selectFrom("llm_providers")
      .select(["health_status", "last_tested_at", "last_error"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();

  /** A refusal: 429 problem+json naming the limit, with a Retry-After within the minute's window. */
  const expectRefused = (res: Awaited<ReturnType<typeof test>>, limit: number) => {
    expect(res.statusCode, res.body).toBe(429);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 429, code: "rate_limited" });
    expect(res.json().detail).toContain(`at most ${limit} connection tests and model listings per minute`);
    const retryAfter = Number(res.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body).not.toContain(KEY);
  };

  it("past the default limit a plain user's test of the system connection is 429 with Retry-After, and the upstream is not called", async () => {
    await limitTo(undefined);
    const id = await systemConnection();
    const user = await t().newUser();
    for (let i = 0; i < DEFAULT_LIMIT; i++) {
      const res = await test(user, id);
      expect(res.statusCode, `check ${i + 1}: ${res.body}`).toBe(200);
      expect(res.json().health_status).toBe("ok");
    }
    const before = fake.requests.length;
    expectRefused(await test(user, id), DEFAULT_LIMIT);
    expectRefused(await models(user, id), DEFAULT_LIMIT);
    expect(fake.requests.length).toBe(before);
  });

  it("counts tests, model listings and profile tests together, per user: another user is not affected", async () => {
    await limitTo(3);
    const id = await systemConnection();
    const alice = await t().newUser();
    const bob = await t().newUser();
    await t().connection(alice, {
      name: "mine",
      provider_type: "openai-compatible",
      base_url: `${fake.url}/v1`,
      api_key: KEY,
    });
    expect((await test(alice, id)).statusCode).toBe(200);
    expect((await models(alice, id)).statusCode).toBe(200);
    expect((await profileTest(alice)).json()).toMatchObject({ health_status: "ok" });

    const before = fake.requests.length;
    expectRefused(await test(alice, id), 3);
    expectRefused(await models(alice, id), 3);
    expectRefused(await profileTest(alice), 3);
    expect(fake.requests.length).toBe(before);

    // Bob's own budget is whole, on the same connection.
    for (let i = 0; i < 3; i++) expect((await test(bob, id)).statusCode).toBe(200);
    expect(fake.requests.length).toBe(before + 3);
    expectRefused(await models(bob, id), 3);
  });

  it("records nothing for a refused test, even by a caller who may change the connection", async () => {
    await limitTo(1);
    const user = await t().newUser();
    const { id } = await t().connection(user, {
      name: "own",
      provider_type: "openai-compatible",
      base_url: `${fake.url}/v1`,
      api_key: KEY,
    });
    expect((await test(user, id)).json().health_status).toBe("ok");
    const after = await stored(id);
    expect(after.health_status).toBe("ok");
    expect(after.last_tested_at).not.toBeNull();

    // The connection now points where the upstream has no model list: a test that got through
    // would record the failure.
    const moved = await t().app.inject({
      method: "PUT",
      url: `/api/llm-providers/${id}`,
      headers: user.headers,
      payload: { base_url: `${fake.url}/nowhere` },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const after2 = await stored(id);
    expectRefused(await test(user, id), 1);
    expect(await stored(id)).toEqual(after2);
  });

  it("follows the setting: a lower limit refuses sooner, a higher one later, and 0 lifts it", async () => {
    const id = await systemConnection();
    const user = await t().newUser();
    await limitTo(2);
    for (let i = 0; i < 2; i++) expect((await test(user, id)).statusCode).toBe(200);
    expectRefused(await test(user, id), 2);

    // Raised within the same window: the hits so far still count against the new limit.
    await limitTo(5);
    for (let i = 0; i < 2; i++) expect((await test(user, id)).statusCode).toBe(200);
    expectRefused(await test(user, id), 5);

    await limitTo(0);
    const before = fake.requests.length;
    for (let i = 0; i < DEFAULT_LIMIT + 2; i++) expect((await models(user, id)).statusCode).toBe(200);
    expect(fake.requests.length).toBe(before + DEFAULT_LIMIT + 2);
  });

  it("limits admins too, on a system connection they manage, and records nothing past the limit", async () => {
    await limitTo(2);
    const admin = await t().newUser({ admin: true });
    const id = await systemConnection(admin);
    for (let i = 0; i < 2; i++) expect((await test(admin, id)).json().health_status).toBe("ok");
    const after = await stored(id);
    const before = fake.requests.length;
    expectRefused(await test(admin, id), 2);
    expectRefused(await models(admin, id), 2);
    expect(fake.requests.length).toBe(before);
    expect(await stored(id)).toEqual(after);
    // Another admin is not affected.
    const other = await t().newUser({ admin: true });
    expect((await test(other, id)).statusCode).toBe(200);
  });
}

describeEachDialect("per-user limit on connection tests and model listings", (dialect) => {
  const t = useTestApp(dialect);
  checkLimitCases(t);

  it("documents the 429 in OpenAPI for every route that checks a connection upstream", async () => {
    const doc = (await t().app.inject({ url: "/openapi.json" })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const [path, method] of [
      ["/api/llm-providers/{id}/test", "post"],
      ["/api/llm-providers/{id}/models", "get"],
      ["/api/users/me/llm-profile/test", "post"],
    ] as const) {
      expect(Object.keys(doc.paths[path]![method]!.responses), `${method} ${path}`).toContain("429");
    }
  });
});

describe.skipIf(!inject("redisAvailable"))(
  "per-user limit on connection tests and model listings [redis]",
  () => {
    const t = useTestApp("sqlite", { redisUrl: testEnv.redisUrl });
    checkLimitCases(t);

    describe("with a second instance on the same database and Redis", () => {
      let second: { sy: Switchyard; app: HttpApp };
      beforeAll(async () => {
        const { sy } = await composeForTest({
          databaseUrl: t().testDb.url,
          redisUrl: testEnv.redisUrl,
          masterKey: t().sy.config.masterKey!.toString("base64"),
        });
        const app = await createHttpServer(sy);
        await app.ready();
        second = { sy, app };
      });
      afterAll(async () => {
        await second?.app.close();
        await second?.sy.close();
      });

      it("shares one count across instances: checks on either one spend the same budget", async () => {
        await t().setting("connections.allow_private_base_urls", true);
        await t().setting(SETTING, 4);
        const user = await t().newUser();
        const { id } = await t().connection(user, {
          name: "mine",
          provider_type: "openai-compatible",
          base_url: "http://127.0.0.1:9/v1",
          api_key: KEY,
        });
        const on = (app: HttpApp) =>
          app.inject({ method: "POST", url: `/api/llm-providers/${id}/test`, headers: user.headers });
        for (const app of [t().app, second.app, t().app, second.app]) {
          expect((await on(app)).statusCode).toBe(200);
        }
        expect((await on(second.app)).statusCode).toBe(429);
        expect((await on(t().app)).statusCode).toBe(429);
      });
    });
  },
);
