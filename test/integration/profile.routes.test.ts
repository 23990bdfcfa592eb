import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ConnectionView } from "../../src/domain/connections/connections.schemas.js";
import type { LlmProfileView } from "../../src/domain/connections/profile.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Seed 000's per-user LLM profile over the real HTTP app on each dialect. Real: every service and a
// fresh database; the frozen contract is checked on the response and on the user_llm_profiles
// view. Tests share the database, so each makes its own users.

type Method = "GET" | "POST" | "PUT" | "DELETE";

interface Reply {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json<T>(): T;
}

const tag = () => randomBytes(5).toString("hex");
const PROFILE = "/api/users/me/llm-profile";

/** Seed 000's frozen fields, with the key as has_api_key (+ a 4-character hint), never the ciphertext. */
const FROZEN_FIELDS = [
  "api_key_hint",
  "base_url",
  "context_window",
  "created_at",
  "has_api_key",
  "health_status",
  "id",
  "last_tested_at",
  "model",
  "provider",
  "timeout_seconds",
  "updated_at",
  "user_id",
];

describeEachDialect("llm profile routes", (dialect) => {
  const t = useTestApp(dialect);

  function call(user: TestUser | undefined, method: Method, url: string, payload?: unknown): Promise<Reply> {
    return t().app.inject({
      method,
      url,
      headers: user?.headers ?? {},
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  async function getProfile(user: TestUser): Promise<LlmProfileView> {
    const res = await call(user, "GET", PROFILE);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<LlmProfileView>();
  }

  async function putProfile(user: TestUser, body: Record<string, unknown>): Promise<LlmProfileView> {
    const res = await call(user, "PUT", PROFILE, body);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<LlmProfileView>();
  }

  async function ownConnections(user: TestUser): Promise<ConnectionView[]> {
    const res = await call(user, "GET", "/api/llm-providers");
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: ConnectionView[] }>().items.filter((c) => c.user_id === user.id);
  }

  function expect422(res: Reply, field: string): void {
    expect(res.statusCode, res.body).toBe(422);
    expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
    const body = res.json<{ code: string; errors?: { field: string }[] }>();
    expect(body.code).toBe("validation_failed");
    expect(body.errors?.map((e) => e.field)).toContain(field);
  }

  async function countRows(where: { notUser: string } | { user: string }): Promise<number> {
    let q = t()
      .sy.db.selectFrom("llm_providers")
      .select((eb) => eb.fn.countAll<number>().as("n"));
    q =
      "user" in where
        ? q.where("user_id", "=", where.user)
        : q.where((eb) => eb.or([eb("user_id", "is", null), eb("user_id", "!=", where.notUser)]));
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async function viewRow(userId: string) {
    return t().sy.db.selectFrom("user_llm_profiles").selectAll().where("user_id", "=", userId).execute();
  }

  describe("happy paths", () => {
    it("seed 000 AC-1: GET for a new user returns provider disabled and creates nothing for other users", async () => {
      // Others exist and have rows of their own.
      const other = await t().newUser();
      await putProfile(other, {
        provider: "openai-compatible",
        base_url: "https://o.example.test/v1",
        model: "m",
      });
      const user = await t().newUser();
      const othersBefore = await countRows({ notUser: user.id });
      expect(await countRows({ user: user.id })).toBe(0);

      const profile = await getProfile(user);
      expect(profile.provider).toBe("disabled");
      expect(profile.user_id).toBe(user.id);

      expect(await countRows({ notUser: user.id })).toBe(othersBefore);
      expect(await countRows({ user: user.id })).toBe(1);
      // The other user's profile is as it was.
      expect(await getProfile(other)).toMatchObject({ provider: "openai-compatible", model: "m" });
    });

    it("seed 000 AC-2: the frozen fields are present with their defaults, and no key field", async () => {
      const user = await t().newUser();
      const res = await call(user, "GET", PROFILE);
      expect(res.statusCode, res.body).toBe(200);
      const profile = res.json<LlmProfileView>();
      expect(Object.keys(profile).sort()).toEqual(FROZEN_FIELDS);
      expect(profile).not.toHaveProperty("api_key");
      expect(profile).not.toHaveProperty("api_key_encrypted");
      expect(profile).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        user_id: user.id,
        provider: "disabled",
        base_url: null,
        model: null,
        has_api_key: false,
        api_key_hint: null,
        timeout_seconds: 60,
        context_window: null,
        health_status: "unknown",
        last_tested_at: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect(new Date(profile.created_at).toISOString()).toBe(profile.created_at);
      expect(new Date(profile.updated_at).toISOString()).toBe(profile.updated_at);
    });

    it("seed 000 decision 2: the lazy row is created once; later and concurrent GETs return the same row", async () => {
      const user = await t().newUser();
      const replies = await Promise.all(Array.from({ length: 5 }, () => call(user, "GET", PROFILE)));
      for (const r of replies) expect(r.statusCode, r.body).toBe(200);
      const ids = new Set(replies.map((r) => r.json<LlmProfileView>().id));
      expect(ids.size).toBe(1);
      expect((await getProfile(user)).id).toBe([...ids][0]);
      expect(await countRows({ user: user.id })).toBe(1);
    });

    it("seed 000: PUT openai-compatible with base_url, model and api_key enables it; the key is never returned", async () => {
      const user = await t().newUser();
      const key = `sk-profile-${tag()}-PR0F`;
      const res = await call(user, "PUT", PROFILE, {
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        model: "qwen2.5",
        api_key: key,
        timeout_seconds: 45,
        context_window: 32768,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain(key);
      const put = res.json<LlmProfileView>();
      expect(Object.keys(put).sort()).toEqual(FROZEN_FIELDS);
      expect(put).toMatchObject({
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        model: "qwen2.5",
        has_api_key: true,
        api_key_hint: "PR0F",
        timeout_seconds: 45,
        context_window: 32768,
      });
      const again = await call(user, "GET", PROFILE);
      expect(again.body).not.toContain(key);
      expect(again.json()).toEqual(put);
      // The key is kept as ciphertext only.
      const row = await t()
        .sy.db.selectFrom("llm_providers")
        .select(["api_key_encrypted"])
        .where("id", "=", put.id)
        .executeTakeFirstOrThrow();
      expect(row.api_key_encrypted).toMatch(/^v1:/);
      expect(row.api_key_encrypted).not.toContain(key);
    });

    it("seed 000: PUT provider disabled keeps the row (same id, base_url and model kept) and reads disabled", async () => {
      const user = await t().newUser();
      const enabled = await putProfile(user, {
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        model: "qwen2.5",
        api_key: `sk-keep-${tag()}-KEEP`,
      });
      const disabled = await putProfile(user, { provider: "disabled" });
      expect(disabled).toMatchObject({
        id: enabled.id,
        provider: "disabled",
        base_url: "https://llm.example.test/v1",
        model: "qwen2.5",
        has_api_key: true,
        api_key_hint: "KEEP",
      });
      expect(await getProfile(user)).toEqual(disabled);
      expect(await countRows({ user: user.id })).toBe(1);

      // Switching it back on needs nothing re-entered.
      const back = await putProfile(user, { provider: "openai-compatible" });
      expect(back).toMatchObject({
        id: enabled.id,
        provider: "openai-compatible",
        model: "qwen2.5",
        has_api_key: true,
      });
    });

    it("seed 000: PUT disabled for a user who never read the profile creates it disabled", async () => {
      const user = await t().newUser();
      const profile = await putProfile(user, { provider: "disabled" });
      expect(profile).toMatchObject({ user_id: user.id, provider: "disabled" });
      expect(await countRows({ user: user.id })).toBe(1);
    });

    it("DESIGN profile: the profile is the user's default connection (one source of truth)", async () => {
      const user = await t().newUser();
      const profile = await putProfile(user, {
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        model: "before",
      });
      const own = await ownConnections(user);
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({
        id: profile.id,
        scope: "user",
        is_default: true,
        is_enabled: true,
        provider_type: "openai-compatible",
        model: "before",
      });

      // A change through the connections API shows in the profile.
      const res = await call(user, "PUT", `/api/llm-providers/${profile.id}`, { model: "after" });
      expect(res.statusCode, res.body).toBe(200);
      expect(await getProfile(user)).toMatchObject({ id: profile.id, model: "after" });

      // Disabling the connection reads as a disabled profile.
      expect(
        (await call(user, "PUT", `/api/llm-providers/${profile.id}`, { is_enabled: false })).statusCode,
      ).toBe(200);
      expect((await getProfile(user)).provider).toBe("disabled");

      // And a change through the profile shows in the connection.
      await putProfile(user, { provider: "openai-compatible", model: "third" });
      const conn = await call(user, "GET", `/api/llm-providers/${profile.id}`);
      expect(conn.json()).toMatchObject({ model: "third", is_enabled: true });
    });

    it("DESIGN profile: set-default to another connection makes that one the profile", async () => {
      const user = await t().newUser();
      const first = await getProfile(user);
      const created = await call(user, "POST", "/api/llm-providers", {
        name: `work-${tag()}`,
        provider_type: "openai",
        model: "gpt-4o-mini",
        api_key: `sk-work-${tag()}-W0RK`,
      });
      expect(created.statusCode, created.body).toBe(201);
      const work = created.json<ConnectionView>();
      expect((await getProfile(user)).id).toBe(first.id);
      expect((await call(user, "PUT", `/api/llm-providers/${work.id}/set-default`)).statusCode).toBe(200);
      expect(await getProfile(user)).toMatchObject({
        id: work.id,
        provider: "openai",
        model: "gpt-4o-mini",
        has_api_key: true,
        api_key_hint: "W0RK",
      });
      expect(await countRows({ user: user.id })).toBe(2);
    });

    it("DESIGN data model: the user_llm_profiles SQL view shows the same provider and model", async () => {
      const user = await t().newUser();
      const profile = await getProfile(user);
      expect(await viewRow(user.id)).toEqual([
        expect.objectContaining({ id: profile.id, user_id: user.id, provider: "disabled", model: null }),
      ]);

      const key = `sk-view-${tag()}-V1EW`;
      await putProfile(user, {
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        model: "view-model",
        api_key: key,
      });
      const [row] = await viewRow(user.id);
      expect(row).toMatchObject({
        id: profile.id,
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        model: "view-model",
        health_status: "unknown",
        context_window: null,
        last_tested_at: null,
      });
      expect(Number(row!.timeout_seconds)).toBe(60);
      expect(row!.api_key_encrypted).toMatch(/^v1:/);
      expect(JSON.stringify(row)).not.toContain(key);

      await putProfile(user, { provider: "disabled" });
      expect(await viewRow(user.id)).toEqual([
        expect.objectContaining({ id: profile.id, provider: "disabled", model: "view-model" }),
      ]);
    });
  });

  describe("errors", () => {
    it("seed 000 decision 4: PUT provider mock is 422 and changes nothing", async () => {
      const user = await t().newUser();
      const before = await getProfile(user);
      expect422(await call(user, "PUT", PROFILE, { provider: "mock" }), "/provider");
      expect422(
        await call(user, "PUT", PROFILE, {
          provider: "mock",
          base_url: "https://m.example.test",
          model: "m",
        }),
        "/provider",
      );
      expect(await getProfile(user)).toEqual(before);
    });

    it("seed 000 AC-3: an unknown provider, a missing provider, or an extra field is 422 naming it", async () => {
      const user = await t().newUser();
      expect422(await call(user, "PUT", PROFILE, { provider: "skynet" }), "/provider");
      expect422(await call(user, "PUT", PROFILE, { model: "m" }), "/provider");
      expect422(await call(user, "PUT", PROFILE, { provider: "disabled", colour: "blue" }), "/colour");
      expect422(
        await call(user, "PUT", PROFILE, { provider: "disabled", timeout_seconds: 0 }),
        "/timeout_seconds",
      );
    });

    it("seed 000: enabling openai-compatible without a base_url is 422 /base_url", async () => {
      const user = await t().newUser();
      expect422(await call(user, "PUT", PROFILE, { provider: "openai-compatible", model: "m" }), "/base_url");
      expect((await getProfile(user)).provider).toBe("disabled");
    });

    it('seed 002: an empty api_key "" on the profile is 422 /api_key, and the stored key is kept', async () => {
      const user = await t().newUser();
      await putProfile(user, {
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        api_key: `sk-empty-${tag()}-EMP7`,
      });
      expect422(await call(user, "PUT", PROFILE, { provider: "openai-compatible", api_key: "" }), "/api_key");
      expect(await getProfile(user)).toMatchObject({ has_api_key: true, api_key_hint: "EMP7" });
    });

    it("DESIGN HTTP: GET and PUT without a token are 401", async () => {
      for (const [method, payload] of [
        ["GET", undefined],
        ["PUT", { provider: "disabled" }],
      ] as const) {
        const res = await call(undefined, method, PROFILE, payload);
        expect(res.statusCode, res.body).toBe(401);
        expect(res.json()).toMatchObject({ code: "unauthorized" });
      }
    });
  });

  describe("security", () => {
    it("DESIGN Providers: the profile's base_url gets the SSRF check of a user connection", async () => {
      const user = await t().newUser();
      for (const base_url of [
        "http://169.254.169.254/v1",
        "http://127.0.0.1:8080",
        "http://10.0.0.1",
        "http://[::1]/",
      ]) {
        expect422(await call(user, "PUT", PROFILE, { provider: "openai-compatible", base_url }), "/base_url");
      }
      expect((await getProfile(user)).provider).toBe("disabled");
    });

    it("seed 000 AC-1: each user reads and writes only their own profile", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const a = await putProfile(alice, {
        provider: "openai-compatible",
        base_url: "https://a.example.test/v1",
        model: "alice-model",
      });
      const b = await getProfile(bob);
      expect(b.id).not.toBe(a.id);
      expect(b).toMatchObject({ user_id: bob.id, provider: "disabled", model: null });
      await putProfile(bob, {
        provider: "openai-compatible",
        base_url: "https://b.example.test/v1",
        model: "bob-model",
      });
      expect(await getProfile(alice)).toMatchObject({ id: a.id, model: "alice-model" });
    });
  });
});
