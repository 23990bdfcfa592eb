import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

const UPSTREAM_KEY = "sk-upstream-limits-metrics-0000";

describeEachDialect("/v1 rate limits and /metrics", (dialect) => {
  const t = useTestApp(dialect);
  let fake: FakeUpstream;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    await fake?.close();
  });

  async function userWithKey(
    keyBody: Record<string, unknown> = { name: "k" },
  ): Promise<{ user: TestUser; key: string }> {
    const { user } = await t().userWithConnection({ baseUrl: `${fake.url}/v1`, apiKey: UPSTREAM_KEY });
    const { key } = await t().apiKey(user, keyBody);
    return { user, key };
  }
  const chat = (key: string) =>
    t().app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { authorization: `Bearer ${key}` },
      payload: { model: "m", messages: [{ role: "user", content: "hi" }] },
    });

  it("a key over its own requests-per-minute gets 429 with Retry-After and OpenAI's x-ratelimit headers", async () => {
    const { key } = await userWithKey({ name: "limited", rate_limit_rpm: 2 });
    const first = await chat(key);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers["x-ratelimit-limit-requests"]).toBe("2");
    expect(first.headers["x-ratelimit-remaining-requests"]).toBe("1");
    expect((await chat(key)).statusCode).toBe(200);
    const limited = await chat(key);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.headers["x-ratelimit-remaining-requests"]).toBe("0");
    expect(limited.json().error).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });

    // The official client sees the same 429.
    const client = new OpenAI({
      apiKey: key,
      baseURL: "http://127.0.0.1:1/v1",
      maxRetries: 0,
      fetch: injectFetch,
    });
    await expect(
      client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({
      status: 429,
    });
  });

  it("the user setting limits every key of the user together; tokens per minute count after each call", async () => {
    const setting = (key: string, value: number) =>
      t().app.inject({
        method: "PUT",
        url: `/api/admin/settings/${key}`,
        headers: t().admin.headers,
        payload: { value },
      });
    expect((await setting("ratelimit.user_tokens_per_minute", 1)).statusCode).toBe(200);
    try {
      const { key } = await userWithKey();
      // The first call is admitted (nothing counted yet) and uses more than the 1-token budget.
      expect((await chat(key)).statusCode).toBe(200);
      const over = await chat(key);
      expect(over.statusCode).toBe(429);
      expect(over.headers["x-ratelimit-limit-tokens"]).toBe("1");
    } finally {
      await setting("ratelimit.user_tokens_per_minute", 0);
    }
  });

  it("/metrics counts gateway calls and upstream errors, in Prometheus' format", async () => {
    const { key } = await userWithKey();
    expect((await chat(key)).statusCode).toBe(200);
    fake.setMode("server_error");
    try {
      expect((await chat(key)).statusCode).toBe(502);
    } finally {
      fake.setMode("ok");
    }
    const res = await t().app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/plain/);
    expect(res.body).toMatch(
      /switchyard_gateway_requests_total\{endpoint="chat.completions",provider_type="openai-compatible",status="200"\} \d+/,
    );
    expect(res.body).toMatch(
      /switchyard_upstream_errors_total\{connection_id="[0-9a-f-]+",provider_type="openai-compatible",kind="upstream_error"\} \d+/,
    );
    expect(res.body).toMatch(
      /switchyard_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/chat\/completions"/,
    );
    expect(res.body).not.toContain(UPSTREAM_KEY);
  });

  /** Lets the official client talk to the app through inject, without a listening socket. */
  async function injectFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const res = await t().app.inject({
      method: (init?.method ?? "GET") as "POST",
      url: url.pathname + url.search,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      payload: typeof init?.body === "string" ? init.body : undefined,
    });
    return new Response(res.body, { status: res.statusCode, headers: res.headers as Record<string, string> });
  }
});
