import { Agent, fetch } from "undici";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { useTestApp } from "../support/http-harness.js";

const KEY = "sk-upstream-abort-0000000000000";

describeEachDialect("/v1 when the client goes away", (dialect) => {
  const t = useTestApp(dialect);
  let fake: FakeUpstream;
  let base: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    base = (await t().listen()).replace(/\/v1$/, "");
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("aborts the upstream stream mid-way and records the call as closed by the client", async () => {
    const { user } = await t().userWithConnection({ baseUrl: `${fake.url}/v1`, apiKey: KEY });

    // A client of its own, so the test can drop its sockets the way a process that exits would.
    const client = new Agent();
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, {
      dispatcher: client,
      method: "POST",
      headers: { ...user.headers, "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        stream: true,
        messages: [{ role: "user", content: "slow stream please" }],
      }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("chat.completion.chunk");
    controller.abort();
    await client.destroy();

    // The upstream sees its connection closed long before its 100 chunks (30 ms apart) would end.
    let closed = false;
    for (let i = 0; i < 40 && !closed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      closed = fake.requests.some((r) => r.path.includes("/chat/completions") && r.closedEarly);
    }
    expect(closed).toBe(true);

    let rows: { status_code: number; error_code: string | null }[] = [];
    for (let i = 0; i < 40 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await t()
        .sy.db.selectFrom("usage_records")
        .select(["status_code", "error_code"])
        .where("user_id", "=", user.id)
        .execute();
    }
    expect(rows).toEqual([{ status_code: 499, error_code: "client_closed" }]);
  });

  it("ends the caller's stream at its finish and keeps the upstream connection for the next call", async () => {
    const { user } = await t().userWithConnection({ baseUrl: `${fake.url}/v1`, apiKey: KEY, name: "kept" });
    const before = fake.requests.length;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { ...user.headers, "content-type": "application/json" },
        body: JSON.stringify({ model: "kept/m", stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
      // The upstream's body is read to its end in the background; give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const calls = fake.requests.slice(before).filter((r) => r.path.includes("/chat/completions"));
    expect(calls).toHaveLength(3);
    expect(calls.some((r) => r.closedEarly)).toBe(false);
    expect(new Set(calls.map((r) => r.remotePort)).size).toBe(1);
  });
});
