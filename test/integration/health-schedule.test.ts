import { afterAll, beforeAll, expect, it } from "vitest";
import { startHealthCheckSchedule } from "../../src/jobs/health-check-schedule.js";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { useTestApp } from "../support/http-harness.js";

const KEY = "sk-periodic-check-key-000111222";

describeEachDialect("periodic health checks", (dialect) => {
  const t = useTestApp(dialect);
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const setting = async (key: string, value: unknown) => {
    const res = await t().app.inject({
      method: "PUT",
      url: `/api/admin/settings/${key}`,
      headers: t().admin.headers,
      payload: { value },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  let clock = Date.now();
  /** Each pass runs "31 seconds later", past the 30-second interval. */
  const later = () => {
    clock += 31_000;
    return new Date(clock);
  };
  const schedule = () =>
    startHealthCheckSchedule({
      repo: t().sy.connectionsRepo,
      health: t().sy.services.health,
      settings: t().sy.services.settings,
      logger: t().sy.logger,
      tickMs: 3_600_000,
      now: () => new Date(clock),
    });
  const status = async (id: string) =>
    (
      await t()
        .sy.db.selectFrom("llm_providers")
        .select(["health_status", "consecutive_failures"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow()
    ).health_status;

  it("is off by default, then checks due connections once per interval with hysteresis", async () => {
    const s = schedule();
    try {
      expect(await s.runOnce()).toBe(0);

      await setting("connections.allow_private_base_urls", true);
      const created = await t().app.inject({
        method: "POST",
        url: "/api/llm-providers",
        headers: (await t().newUser()).headers,
        payload: {
          name: "periodic",
          provider_type: "openai-compatible",
          base_url: `${fake.url}/v1`,
          api_key: KEY,
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;

      await setting("health.periodic_checks", true);
      await setting("health.check_interval_seconds", 30);
      await setting("health.failure_threshold", 2);

      later();
      expect(await s.runOnce()).toBeGreaterThanOrEqual(1);
      expect(await status(id)).toBe("ok");
      // Not due again within the interval.
      expect(await s.runOnce()).toBe(0);

      fake.setMode("unauthorized");
      later();
      await s.runOnce();
      expect(await status(id)).toBe("ok"); // one failure: not yet
      later();
      await s.runOnce();
      expect(await status(id)).toBe("failed"); // two in a row

      fake.setMode("ok");
      later();
      await s.runOnce();
      expect(await status(id)).toBe("ok"); // one success is enough
    } finally {
      fake.setMode("ok");
      await setting("health.periodic_checks", false);
      await s.stop();
    }
  });

  it("two instances running at once check each connection once", async () => {
    await setting("health.periodic_checks", true);
    const a = schedule();
    const b = schedule();
    try {
      later();
      const before = fake.requests.length;
      const [ca, cb] = await Promise.all([a.runOnce(), b.runOnce()]);
      const due = await t()
        .sy.db.selectFrom("llm_providers")
        .select("id")
        .where("is_enabled", "=", true)
        .execute();
      expect(ca + cb).toBe(due.length);
      expect(fake.requests.length - before).toBeLessThanOrEqual(due.length);
    } finally {
      await setting("health.periodic_checks", false);
      await a.stop();
      await b.stop();
    }
  });
});
