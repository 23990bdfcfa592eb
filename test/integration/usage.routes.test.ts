import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { useTestApp } from "../support/http-harness.js";

const KEY = "sk-upstream-usage-report-0000000";

describeEachDialect("GET /api/users/me/usage and /api/admin/usage", (dialect) => {
  const t = useTestApp(dialect);
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("shows each user their own calls grouped by day, model and connection; admins see everyone's; others 403", async () => {
    const { user, connectionId } = await t().userWithConnection({
      baseUrl: `${fake.url}/v1`,
      apiKey: KEY,
      model: "m1",
    });
    const other = await t().newUser();
    for (const model of ["m1", "m1", "m2"]) {
      const res = await t().app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: user.headers,
        payload: { model, messages: [{ role: "user", content: "usage" }] },
      });
      expect(res.statusCode).toBe(200);
    }
    await t().sy.flushUsage();

    const byModel = await t().app.inject({
      url: "/api/users/me/usage?group_by=model",
      headers: user.headers,
    });
    expect(byModel.statusCode, byModel.body).toBe(200);
    expect(byModel.json().items.map((i: { key: string; requests: number }) => [i.key, i.requests])).toEqual([
      ["m1", 2],
      ["m2", 1],
    ]);
    expect(byModel.json().items[0].input_tokens).toBeGreaterThan(0);

    const byDay = await t().app.inject({ url: "/api/users/me/usage", headers: user.headers });
    expect(byDay.json().items).toHaveLength(1);
    expect(byDay.json().items[0]).toMatchObject({
      key: new Date().toISOString().slice(0, 10),
      requests: 3,
      errors: 0,
    });

    const byConnection = await t().app.inject({
      url: "/api/users/me/usage?group_by=connection",
      headers: user.headers,
    });
    expect(byConnection.json().items).toEqual([expect.objectContaining({ key: connectionId, requests: 3 })]);

    const others = await t().app.inject({ url: "/api/users/me/usage", headers: other.headers });
    expect(others.json().items).toEqual([]);

    const future = await t().app.inject({
      url: `/api/users/me/usage?from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`,
      headers: user.headers,
    });
    expect(future.json().items).toEqual([]);

    const admin = await t().app.inject({
      url: `/api/admin/usage?user_id=${user.id}&group_by=model`,
      headers: t().admin.headers,
    });
    expect(admin.json().items).toHaveLength(2);
    expect((await t().app.inject({ url: "/api/admin/usage", headers: user.headers })).statusCode).toBe(403);
    expect(
      (await t().app.inject({ url: "/api/users/me/usage?group_by=week", headers: user.headers })).statusCode,
    ).toBe(422);
  });
});
