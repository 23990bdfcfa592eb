import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { useTestApp } from "../support/http-harness.js";

const KEY = "sk-upstream-fallback-000000000000";

describeEachDialect("/v1 fallback to the next default", (dialect) => {
  const t = useTestApp(dialect);
  let broken: FakeUpstream;
  let healthy: FakeUpstream;

  beforeAll(async () => {
    broken = await startFakeOpenAI({ apiKey: KEY, mode: "server_error" });
    healthy = await startFakeOpenAI({ apiKey: KEY });
    const admin = t().admin;
    await t().setting("connections.allow_private_base_urls", true);
    await t().setting("gateway.fallback_to_system_default", true);
    await t().connection(admin, {
      name: "shared",
      scope: "system",
      provider_type: "openai-compatible",
      base_url: `${healthy.url}/v1`,
      api_key: KEY,
      model: "shared-model",
    });
  });
  afterAll(async () => {
    await broken?.close();
    await healthy?.close();
  });

  const setFallback = (value: boolean) => t().setting("gateway.fallback_on_failure", value);

  it("answers 502 from a failing connection by default, and from the system default when fallback is on", async () => {
    const { user } = await t().userWithConnection({ baseUrl: `${broken.url}/v1`, apiKey: KEY, name: "mine" });
    const call = () =>
      t().app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: user.headers,
        payload: { model: "m", messages: [{ role: "user", content: "fall back please" }] },
      });

    const failed = await call();
    expect(failed.statusCode).toBe(502);
    expect(failed.json().error.type).toBe("api_error");

    await setFallback(true);
    try {
      const before = healthy.requests.length;
      const rescued = await call();
      expect(rescued.statusCode, rescued.body).toBe(200);
      expect(rescued.json().choices[0].message.content).toContain("fall back please");
      // The fallback used its own model, not the one asked of the first connection.
      expect(JSON.parse(healthy.requests.at(-1)!.body).model).toBe("shared-model");
      expect(healthy.requests.length).toBe(before + 1);

      // An explicit `<connection>/<model>` has no fallback: the caller chose that connection.
      const explicit = await t().app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: user.headers,
        payload: { model: "mine/m", messages: [{ role: "user", content: "no fallback" }] },
      });
      expect(explicit.statusCode).toBe(502);
    } finally {
      await setFallback(false);
    }
  });
});
