import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { startFakeAnthropic } from "../support/fake-upstreams/anthropic.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeGoogle } from "../support/fake-upstreams/google.js";
import { startFakeOllama } from "../support/fake-upstreams/ollama.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";
import { orgWithMembers } from "../support/org-with-members.js";

const KEY = "sk-health-check-secret-0123456789";

describeEachDialect("POST /api/llm-providers/{id}/test and GET …/models", (dialect) => {
  const t = useTestApp(dialect);
  const fakes: Record<string, FakeUpstream> = {};

  beforeAll(async () => {
    fakes.openai = await startFakeOpenAI({ apiKey: KEY, models: ["gpt-4o", "gpt-4o-mini"] });
    fakes.anthropic = await startFakeAnthropic({ apiKey: KEY, models: ["claude-sonnet-4-5"] });
    fakes.google = await startFakeGoogle({ apiKey: KEY, models: ["gemini-2.0-flash"] });
    fakes.ollama = await startFakeOllama({ models: ["llama3:latest"] });
  });
  afterAll(async () => {
    for (const fake of Object.values(fakes)) await fake.close();
  });

  // The fakes listen on loopback, which user connections may reach only when an admin allows it.
  const allowPrivate = async () => {
    const res = await t().app.inject({
      method: "PUT",
      url: "/api/admin/settings/connections.allow_private_base_urls",
      headers: t().admin.headers,
      payload: { value: true },
    });
    expect(res.statusCode).toBe(200);
  };

  async function connect(user: TestUser, payload: Record<string, unknown>) {
    const res = await t().app.inject({
      method: "POST",
      url: "/api/llm-providers",
      headers: user.headers,
      payload,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }
  const test = (user: TestUser, id: string) =>
    t().app.inject({ method: "POST", url: `/api/llm-providers/${id}/test`, headers: user.headers });

  it("records ok with the models for each wire format, sending each its own auth", async () => {
    await allowPrivate();
    const user = await t().newUser();
    const cases = [
      {
        name: "oa",
        provider_type: "openai-compatible",
        base_url: `${fakes.openai!.url}/v1`,
        api_key: KEY,
        want: "gpt-4o",
      },
      {
        name: "an",
        provider_type: "anthropic",
        base_url: fakes.anthropic!.url,
        api_key: KEY,
        want: "claude-sonnet-4-5",
      },
      {
        name: "go",
        provider_type: "google",
        base_url: fakes.google!.url,
        api_key: KEY,
        want: "gemini-2.0-flash",
      },
      { name: "ol", provider_type: "ollama", base_url: fakes.ollama!.url, want: "llama3:latest" },
    ];
    for (const { want, ...payload } of cases) {
      const id = await connect(user, payload);
      const res = await test(user, id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ health_status: "ok", models: expect.arrayContaining([want]) });
      const stored = await t().app.inject({ url: `/api/llm-providers/${id}`, headers: user.headers });
      expect(stored.json()).toMatchObject({ health_status: "ok", last_error: null });
      expect(stored.json().last_tested_at).not.toBeNull();
      const models = await t().app.inject({ url: `/api/llm-providers/${id}/models`, headers: user.headers });
      expect(models.statusCode, models.body).toBe(200);
      expect(models.json().items.map((m: { id: string }) => m.id)).toContain(want);
    }
    expect(fakes.google!.requests.every((r) => !r.path.includes(KEY))).toBe(true);
  });

  it("records failed with a sanitized error for a wrong key, a dead upstream, a timeout and a garbage body", async () => {
    await allowPrivate();
    const user = await t().newUser();
    const wrongKey = "sk-wrong-key-that-must-not-leak-999";
    const wrong = await connect(user, {
      name: "bad-key",
      provider_type: "openai-compatible",
      base_url: `${fakes.openai!.url}/v1`,
      api_key: wrongKey,
    });
    const dead = await connect(user, {
      name: "dead",
      provider_type: "openai-compatible",
      base_url: "http://127.0.0.1:9/v1",
      api_key: KEY,
    });
    const results = [await test(user, wrong), await test(user, dead)];
    for (const res of results) {
      expect(res.statusCode).toBe(200);
      expect(res.json().health_status).toBe("failed");
      expect(res.json().error).toBeTruthy();
      expect(res.body).not.toContain(wrongKey);
      expect(res.body).not.toContain(KEY);
    }

    const slow = await startFakeOpenAI({ apiKey: KEY, mode: "slow", slowMs: 3_000 });
    const garbage = await startFakeOpenAI({ apiKey: KEY, mode: "garbage" });
    try {
      const slowId = await connect(user, {
        name: "slow",
        provider_type: "openai-compatible",
        base_url: `${slow.url}/v1`,
        api_key: KEY,
        timeout_seconds: 1,
      });
      const timedOut = await test(user, slowId);
      expect(timedOut.json()).toMatchObject({ health_status: "failed" });
      expect(timedOut.json().error).toMatch(/did not answer within/);
      const garbageId = await connect(user, {
        name: "garbage",
        provider_type: "openai-compatible",
        base_url: `${garbage.url}/v1`,
        api_key: KEY,
      });
      expect((await test(user, garbageId)).json().health_status).toBe("failed");
      const models = await t().app.inject({
        url: `/api/llm-providers/${garbageId}/models`,
        headers: user.headers,
      });
      expect(models.statusCode).toBe(502);
    } finally {
      await slow.close();
      await garbage.close();
    }
    const stored = await t()
      .sy.db.selectFrom("llm_providers")
      .select(["health_status", "last_error"])
      .where("id", "=", wrong)
      .executeTakeFirstOrThrow();
    expect(stored.health_status).toBe("failed");
    expect(stored.last_error).not.toContain(wrongKey);
    expect(t().logs.text()).not.toContain(wrongKey);
  });

  it("tests only connections the caller may use: another user's is 404", async () => {
    await allowPrivate();
    const alice = await t().newUser();
    const bob = await t().newUser();
    const id = await connect(alice, { name: "mine", provider_type: "ollama", base_url: fakes.ollama!.url });
    expect((await test(bob, id)).statusCode).toBe(404);
    expect(
      (await t().app.inject({ url: `/api/llm-providers/${id}/models`, headers: bob.headers })).statusCode,
    ).toBe(404);
  });

  it("a plain user may test a system connection and sees the result, but only an admin's test is recorded for everyone", async () => {
    await allowPrivate();
    const user = await t().newUser();
    // A system connection with a wrong key: every test of it fails.
    const id = await connect(t().admin, {
      name: `shared-${Math.random().toString(36).slice(2, 8)}`,
      scope: "system",
      provider_type: "openai-compatible",
      base_url: `${fakes.openai!.url}/v1`,
      api_key: "sk-not-the-right-key-000000000000",
    });
    const stored = () =>
      t()
        .sy.db.selectFrom("llm_providers")
        .select(["health_status", "last_tested_at"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
    const before = await stored();

    const byUser = await test(user, id);
    expect(byUser.statusCode, byUser.body).toBe(200);
    expect(byUser.json().health_status).toBe("failed");
    expect(await stored()).toEqual(before);

    const byAdmin = await test(t().admin, id);
    expect(byAdmin.json().health_status).toBe("failed");
    expect((await stored()).health_status).toBe("failed");
  });

  describe("upstream errors name the connection, not its host, to a caller who may not change it", () => {
    const tag = () => Math.random().toString(36).slice(2, 8);
    const models = (user: TestUser, id: string) =>
      t().app.inject({ url: `/api/llm-providers/${id}/models`, headers: user.headers });
    /** The test's error and the model listing's 502 detail, as `user` gets them. */
    async function failuresSeenBy(user: TestUser, id: string): Promise<string[]> {
      const tested = await test(user, id);
      expect(tested.statusCode, tested.body).toBe(200);
      expect(tested.json().health_status).toBe("failed");
      const listed = await models(user, id);
      expect(listed.statusCode, listed.body).toBe(502);
      return [tested.json().error as string, listed.json().detail as string];
    }
    // The fake refuses the connections' key: both calls fail with the upstream's 401.
    const wrongKey = "sk-not-the-right-key-111111111111";
    const host = () => new URL(fakes.openai!.url).host;

    it("a system connection: a plain user's test and model listing name it, the admin's name the host", async () => {
      await allowPrivate();
      const user = await t().newUser();
      const name = `shared-${tag()}`;
      const id = await connect(t().admin, {
        name,
        scope: "system",
        provider_type: "openai-compatible",
        base_url: `${fakes.openai!.url}/v1`,
        api_key: wrongKey,
      });
      for (const message of await failuresSeenBy(user, id)) {
        expect(message).toContain(`connection "${name}"`);
        expect(message).toContain("HTTP 401");
        expect(message).not.toContain(host());
      }
      for (const message of await failuresSeenBy(t().admin, id)) {
        expect(message).toContain(`${host()}/v1/models`);
      }
    });

    it("an org connection: a member's name it, an owner's and an org admin's name the host; so does a user's own", async () => {
      await allowPrivate();
      const owner = await t().newUser();
      const orgAdmin = await t().newUser();
      const member = await t().newUser();
      const orgId = await orgWithMembers(t().app, owner, [
        [orgAdmin, "admin"],
        [member, "member"],
      ]);
      const name = `team-${tag()}`;
      const id = await connect(owner, {
        name,
        scope: "org",
        org_id: orgId,
        provider_type: "openai-compatible",
        base_url: `${fakes.openai!.url}/v1`,
        api_key: wrongKey,
      });
      for (const message of await failuresSeenBy(member, id)) {
        expect(message).toContain(`connection "${name}"`);
        expect(message).not.toContain(host());
      }
      for (const manager of [owner, orgAdmin]) {
        for (const message of await failuresSeenBy(manager, id)) expect(message).toContain(host());
      }
      const own = await connect(member, {
        name: `own-${tag()}`,
        provider_type: "openai-compatible",
        base_url: `${fakes.openai!.url}/v1`,
        api_key: wrongKey,
      });
      for (const message of await failuresSeenBy(member, own)) expect(message).toContain(host());

      // The address guard's refusal names the host and its address: a member gets the connection.
      await t().setting("connections.allow_private_base_urls", false);
      try {
        const refused = await test(member, id);
        expect(refused.json().error).toMatch(/^refused to connect to connection ".+": .*not allowed/);
        expect(refused.body).not.toContain(host());
        expect(refused.body).not.toContain("127.0.0.1");
        expect((await test(owner, id)).json().error).toContain("127.0.0.1");
      } finally {
        await allowPrivate();
      }
    });
  });

  it("POST /api/users/me/llm-profile/test tests the profile's connection", async () => {
    await allowPrivate();
    const user = await t().newUser();
    const put = await t().app.inject({
      method: "PUT",
      url: "/api/users/me/llm-profile",
      headers: user.headers,
      payload: {
        provider: "openai-compatible",
        base_url: `${fakes.openai!.url}/v1`,
        api_key: KEY,
        model: "gpt-4o",
      },
    });
    expect(put.statusCode, put.body).toBe(200);
    const res = await t().app.inject({
      method: "POST",
      url: "/api/users/me/llm-profile/test",
      headers: user.headers,
    });
    expect(res.json()).toMatchObject({ health_status: "ok" });
    const profile = await t().app.inject({ url: "/api/users/me/llm-profile", headers: user.headers });
    expect(profile.json().health_status).toBe("ok");
  });

  it("refuses at connect time a user connection to a private address when private targets are not allowed", async () => {
    await allowPrivate();
    const user = await t().newUser();
    const id = await connect(user, {
      name: "was-allowed",
      provider_type: "ollama",
      base_url: fakes.ollama!.url,
    });
    const off = await t().app.inject({
      method: "PUT",
      url: "/api/admin/settings/connections.allow_private_base_urls",
      headers: t().admin.headers,
      payload: { value: false },
    });
    expect(off.statusCode).toBe(200);
    const res = await test(user, id);
    expect(res.json().health_status).toBe("failed");
    expect(res.json().error).toMatch(/private|loopback|not allowed|blocked/i);
  });
});
