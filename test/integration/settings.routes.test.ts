import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditLogPage, AuditLogView } from "../../src/domain/audit/audit.schemas.js";
import { SETTING_KEYS, SETTINGS } from "../../src/domain/settings/settings.registry.js";
import type { SettingList, SettingView } from "../../src/domain/settings/settings.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Real: the whole HTTP app, the settings and audit services and a fresh database of each dialect.
// Nothing is faked. Settings are global, so every test that changes one resets it afterwards
// (afterEach), and audit entries are found by the request id of the request that made them.

interface Problem {
  status: number;
  code: string;
  type: string;
  title: string;
  detail: string;
  request_id: string;
  errors?: { field: string; message: string }[];
}

const tag = () => randomBytes(5).toString("hex");

describeEachDialect("admin settings routes", (dialect) => {
  const t = useTestApp(dialect);

  async function put(user: TestUser | undefined, key: string, payload: unknown, requestId?: string) {
    return t().app.inject({
      method: "PUT",
      url: `/api/admin/settings/${key}`,
      headers: { ...(user?.headers ?? {}), ...(requestId ? { "x-request-id": requestId } : {}) },
      payload: payload as Record<string, unknown>,
    });
  }

  async function del(user: TestUser | undefined, key: string, requestId?: string) {
    return t().app.inject({
      method: "DELETE",
      url: `/api/admin/settings/${key}`,
      headers: { ...(user?.headers ?? {}), ...(requestId ? { "x-request-id": requestId } : {}) },
    });
  }

  async function list(user: TestUser | undefined) {
    return t().app.inject({ method: "GET", url: "/api/admin/settings", headers: user?.headers ?? {} });
  }

  async function current(key: string): Promise<SettingView> {
    const res = await list(t().admin);
    expect(res.statusCode, res.body).toBe(200);
    const item = res.json<SettingList>().items.find((i) => i.key === key);
    if (!item) throw new Error(`${key} is not listed`);
    return item;
  }

  async function register(email = `stranger-${tag()}@example.test`) {
    return t().app.inject({
      method: "POST",
      url: "/api/auth/register",
      payload: { email, password: `pw-${tag()}-stranger` },
    });
  }

  /** The audit entries a request made, found by its request id. */
  async function auditOf(requestId: string): Promise<AuditLogView[]> {
    const res = await t().app.inject({
      method: "GET",
      url: "/api/admin/audit-logs?resource_type=setting&limit=200",
      headers: t().admin.headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<AuditLogPage>().items.filter((e) => e.request_id === requestId);
  }

  function expectProblem(
    res: { statusCode: number; body: string; json<T>(): T },
    status: number,
    code: string,
  ) {
    expect(res.statusCode, res.body).toBe(status);
    const body = res.json<Problem>();
    expect(body).toMatchObject({ status, code, type: `urn:switchyard:error:${code}` });
    return body;
  }

  // Settings are global: put every one back to its default after each test, whatever it did.
  afterEach(async () => {
    for (const key of SETTING_KEYS) {
      const res = await del(t().admin, key);
      expect(res.statusCode, res.body).toBe(200);
    }
  });

  describe("happy paths", () => {
    it("lists every registered key with value, default, description and is_default", async () => {
      const res = await list(t().admin);
      expect(res.statusCode, res.body).toBe(200);
      const items = res.json<SettingList>().items;
      expect(items.map((i) => i.key)).toEqual(SETTING_KEYS);
      for (const item of items) {
        const definition = SETTINGS[item.key as keyof typeof SETTINGS];
        expect(item).toEqual({
          key: item.key,
          value: definition.default,
          default: definition.default,
          description: definition.description,
          is_default: true,
          updated_at: null,
          updated_by: null,
        });
      }
    });

    it("shows a stored value beside its default", async () => {
      const res = await put(t().admin, "auth.access_token_ttl_seconds", { value: 1200 });
      expect(res.statusCode, res.body).toBe(200);
      expect(await current("auth.access_token_ttl_seconds")).toEqual({
        key: "auth.access_token_ttl_seconds",
        value: 1200,
        default: 900,
        description: SETTINGS["auth.access_token_ttl_seconds"].description,
        is_default: false,
        updated_at: expect.any(String),
        updated_by: t().admin.id,
      });
    });

    it("opens registration: 403 for a stranger while closed (the default), 201 once open", async () => {
      expect((await current("auth.registration")).value).toBe("closed");
      const closed = await register();
      expectProblem(closed, 403, "forbidden");

      const res = await put(t().admin, "auth.registration", { value: "open" });
      expect(res.statusCode, res.body).toBe(200);
      const view = res.json<SettingView>();
      expect(view).toMatchObject({
        key: "auth.registration",
        value: "open",
        default: "closed",
        is_default: false,
        updated_by: t().admin.id,
      });
      expect(new Date(view.updated_at ?? "").toISOString()).toBe(view.updated_at);

      const email = `stranger-${tag()}@example.test`;
      const opened = await register(email);
      expect(opened.statusCode, opened.body).toBe(201);
      const body = opened.json<{ user: { email: string; roles: string[] } }>();
      expect(body.user.email).toBe(email);
      // A stranger who registers is a plain user, never an admin.
      expect(body.user.roles).not.toContain("admin");
    });

    it("resets a setting to its default with DELETE, and registration closes again", async () => {
      await put(t().admin, "auth.registration", { value: "open" });
      const res = await del(t().admin, "auth.registration");
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<SettingView>()).toEqual({
        key: "auth.registration",
        value: "closed",
        default: "closed",
        description: SETTINGS["auth.registration"].description,
        is_default: true,
        updated_at: null,
        updated_by: null,
      });
      expect((await current("auth.registration")).is_default).toBe(true);
      expectProblem(await register(), 403, "forbidden");

      const rows = await t()
        .sy.db.selectFrom("settings")
        .selectAll()
        .where("key", "=", "auth.registration")
        .execute();
      expect(rows).toEqual([]);
    });

    it("resets a setting that was never set (200, still the default)", async () => {
      const res = await del(t().admin, "gateway.fallback_to_system_default");
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<SettingView>()).toMatchObject({ value: true, is_default: true });
    });

    it("takes a value of every type the registry has", async () => {
      for (const [key, value] of [
        ["auth.registration", "open"],
        ["auth.access_token_ttl_seconds", 60],
        ["gateway.fallback_to_system_default", false],
      ] as const) {
        const res = await put(t().admin, key, { value });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json<SettingView>()).toMatchObject({ key, value, is_default: false });
        expect((await current(key)).value).toBe(value);
      }
    });

    it("records each change in the audit log as setting.update and setting.reset", async () => {
      const updateId = `settings-update-${tag()}`;
      const resetId = `settings-reset-${tag()}`;
      expect(
        (await put(t().admin, "auth.access_token_ttl_seconds", { value: 1800 }, updateId)).statusCode,
      ).toBe(200);
      expect((await del(t().admin, "auth.access_token_ttl_seconds", resetId)).statusCode).toBe(200);

      expect(await auditOf(updateId)).toEqual([
        expect.objectContaining({
          action: "setting.update",
          resource_type: "setting",
          resource_id: "auth.access_token_ttl_seconds",
          actor_id: t().admin.id,
          details: { value: 1800 },
          request_id: updateId,
          ip: expect.any(String),
        }),
      ]);
      expect(await auditOf(resetId)).toEqual([
        expect.objectContaining({
          action: "setting.reset",
          resource_type: "setting",
          resource_id: "auth.access_token_ttl_seconds",
          actor_id: t().admin.id,
          request_id: resetId,
        }),
      ]);
    });
  });

  describe("errors", () => {
    it("answers 422 naming /value for a value of the wrong type or out of range", async () => {
      const cases: [string, unknown][] = [
        ["auth.registration", 5],
        ["auth.registration", "ajar"],
        ["auth.registration", null],
        ["auth.access_token_ttl_seconds", "900"],
        ["auth.access_token_ttl_seconds", 59],
        ["auth.access_token_ttl_seconds", 86_401],
        ["auth.access_token_ttl_seconds", 900.5],
        ["gateway.fallback_to_system_default", "yes"],
        ["gateway.fallback_to_system_default", { on: true }],
      ];
      for (const [key, value] of cases) {
        const problem = expectProblem(await put(t().admin, key, { value }), 422, "validation_failed");
        expect(problem.errors?.[0]?.field, `${key} = ${JSON.stringify(value)}`).toBe("/value");
      }
      // Nothing was stored.
      const items = (await list(t().admin)).json<SettingList>().items;
      expect(items.every((i) => i.is_default)).toBe(true);
    });

    it("names the allowed values of an enum setting", async () => {
      const problem = expectProblem(
        await put(t().admin, "auth.registration", { value: "ajar" }),
        422,
        "validation_failed",
      );
      expect(problem.errors?.[0]?.message).toContain('"open"');
      expect(problem.errors?.[0]?.message).toContain('"closed"');
    });

    it("answers 422 for a body without value or with an extra field", async () => {
      const missing = expectProblem(await put(t().admin, "auth.registration", {}), 422, "validation_failed");
      expect(missing.errors?.[0]?.field).toBe("/value");
      const extra = expectProblem(
        await put(t().admin, "auth.registration", { value: "open", scope: "global" }),
        422,
        "validation_failed",
      );
      expect(extra.errors?.[0]?.field).toBe("/scope");
      expect((await current("auth.registration")).value).toBe("closed");
    });

    it("answers 404 unknown_setting for a key that is not registered", async () => {
      for (const res of [
        await put(t().admin, "auth.nope", { value: "open" }),
        await put(t().admin, "constructor", { value: 1 }),
        await del(t().admin, "auth.nope"),
        await del(t().admin, "__proto__"),
      ]) {
        const problem = expectProblem(res, 404, "unknown_setting");
        expect(problem.title).toBe("Unknown setting");
      }
      const rows = await t().sy.db.selectFrom("settings").select("key").execute();
      expect(rows.map((r) => r.key)).not.toContain("auth.nope");
    });

    it("answers 401 without a token or with a garbage one", async () => {
      for (const user of [undefined, { ...t().admin, headers: { authorization: "Bearer garbage" } }]) {
        expectProblem(await list(user), 401, "unauthorized");
        expectProblem(await put(user, "auth.registration", { value: "open" }), 401, "unauthorized");
        expectProblem(await del(user, "auth.registration"), 401, "unauthorized");
      }
      expect((await current("auth.registration")).value).toBe("closed");
    });
  });

  describe("security", () => {
    it("answers 403 to a non-admin on GET, PUT and DELETE, and changes nothing", async () => {
      const user = await t().newUser();
      await put(t().admin, "auth.access_token_ttl_seconds", { value: 3600 });

      expectProblem(await list(user), 403, "forbidden");
      expectProblem(await put(user, "auth.registration", { value: "open" }), 403, "forbidden");
      expectProblem(await put(user, "auth.access_token_ttl_seconds", { value: 86_400 }), 403, "forbidden");
      expectProblem(await del(user, "auth.access_token_ttl_seconds"), 403, "forbidden");
      // An unknown key or a bad value does not tell a non-admin more than a 403 does.
      expectProblem(await put(user, "auth.nope", { value: 1 }), 403, "forbidden");
      expectProblem(await put(user, "auth.registration", { value: 5 }), 403, "forbidden");

      expect((await current("auth.registration")).value).toBe("closed");
      expect((await current("auth.access_token_ttl_seconds")).value).toBe(3600);
      expectProblem(await register(), 403, "forbidden");
    });

    it("answers 403 once a user's admin role is revoked", async () => {
      const admin2 = await t().newUser({ admin: true });
      expect((await list(admin2)).statusCode).toBe(200);
      const revoke = await t().app.inject({
        method: "PATCH",
        url: `/api/admin/users/${admin2.id}`,
        headers: t().admin.headers,
        payload: { admin: false },
      });
      expect(revoke.statusCode, revoke.body).toBe(200);
      expectProblem(await put(admin2, "auth.registration", { value: "open" }), 403, "forbidden");
      expect((await current("auth.registration")).value).toBe("closed");
    });

    it("lets a second admin change settings, recorded under that admin", async () => {
      const admin2 = await t().newUser({ admin: true });
      const requestId = `settings-admin2-${tag()}`;
      const res = await put(admin2, "gateway.fallback_to_system_default", { value: false }, requestId);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<SettingView>().updated_by).toBe(admin2.id);
      expect((await auditOf(requestId)).map((e) => e.actor_id)).toEqual([admin2.id]);
    });
  });
});
