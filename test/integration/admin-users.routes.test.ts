import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

describeEachDialect("/api/admin/users", (dialect) => {
  const t = useTestApp(dialect);
  const asAdmin = (
    method: "GET" | "POST" | "PATCH" | "DELETE",
    url: string,
    payload?: Record<string, unknown>,
  ) => t().app.inject({ method, url, headers: t().admin.headers, ...(payload ? { payload } : {}) });
  const patch = (user: TestUser, payload: Record<string, unknown>) =>
    asAdmin("PATCH", `/api/admin/users/${user.id}`, payload);
  const keyFor = async (user: TestUser) =>
    (
      await t().app.inject({
        method: "POST",
        url: "/api/users/me/api-keys",
        headers: user.headers,
        payload: { name: "k" },
      })
    ).json().key as string;

  it("a non-admin gets 403 on every admin route, and no credentials 401", async () => {
    const user = await t().newUser();
    const id = user.id;
    const routes: [string, string, Record<string, unknown>?][] = [
      ["GET", "/api/admin/users"],
      ["POST", "/api/admin/users", { email: "x@example.test", password: "long enough pw" }],
      ["GET", `/api/admin/users/${id}`],
      ["PATCH", `/api/admin/users/${id}`, { admin: true }],
      ["DELETE", `/api/admin/users/${id}`],
      ["GET", "/api/admin/settings"],
      ["PUT", "/api/admin/settings/auth.registration", { value: "open" }],
      ["DELETE", "/api/admin/settings/auth.registration"],
      ["GET", "/api/admin/audit-logs"],
    ];
    for (const [method, url, payload] of routes) {
      const res = await t().app.inject({
        method: method as "GET",
        url,
        headers: user.headers,
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      const anonymous = await t().app.inject({
        method: method as "GET",
        url,
        ...(payload ? { payload } : {}),
      });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it("creates a user (201), refuses a duplicate (409) and bad input (422)", async () => {
    const created = await asAdmin("POST", "/api/admin/users", {
      email: "Made@Example.test",
      password: "long enough pw",
      display_name: "Made",
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      email: "made@example.test",
      roles: ["user"],
      display_name: "Made",
    });
    expect(
      (await asAdmin("POST", "/api/admin/users", { email: "made@example.test", password: "long enough pw" }))
        .statusCode,
    ).toBe(409);
    const bad = await asAdmin("POST", "/api/admin/users", { email: "made2@example.test", password: "short" });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].field).toBe("/password");
    expect(created.body).not.toContain("long enough pw");
  });

  it("lists users paginated and searches by email", async () => {
    const tag = `srch${Date.now()}`;
    for (let i = 0; i < 3; i++) await t().newUser({ email: `${tag}-${i}@example.test` });
    const page1 = await asAdmin("GET", `/api/admin/users?search=${tag}&limit=2`);
    expect(page1.statusCode).toBe(200);
    expect(page1.json()).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page1.json().items).toHaveLength(2);
    const page2 = await asAdmin("GET", `/api/admin/users?search=${tag}&limit=2&offset=2`);
    expect(page2.json().items).toHaveLength(1);
    const all = [...page1.json().items, ...page2.json().items].map((u: { email: string }) => u.email);
    expect(new Set(all).size).toBe(3);
    // LIKE wildcards in the search are literal.
    expect((await asAdmin("GET", `/api/admin/users?search=${tag}%25`)).json().total).toBe(0);
    expect((await asAdmin("GET", "/api/admin/users?limit=0")).statusCode).toBe(422);
  });

  it("disabling a user stops their access token, API key and refresh token at once; enabling lets them sign in again", async () => {
    const user = await t().newUser();
    const key = await keyFor(user);
    expect(
      (await t().app.inject({ url: "/api/users/me", headers: { authorization: `Bearer ${key}` } }))
        .statusCode,
    ).toBe(200);

    expect((await patch(user, { status: "disabled" })).json().status).toBe("disabled");
    expect((await t().app.inject({ url: "/api/users/me", headers: user.headers })).statusCode).toBe(401);
    expect(
      (await t().app.inject({ url: "/api/users/me", headers: { authorization: `Bearer ${key}` } }))
        .statusCode,
    ).toBe(401);
    const refresh = await t().app.inject({
      method: "POST",
      url: "/api/auth/refresh",
      payload: { refresh_token: user.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);

    expect((await patch(user, { status: "active" })).json().status).toBe("active");
    // Tokens carry whole seconds: one issued in the second the sessions were revoked is refused too.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await t().login(user.email, user.password);
    expect((await t().app.inject({ url: "/api/users/me", headers: again.headers })).statusCode).toBe(200);
    // Keys revoked by the disable stay revoked, and so does the access token issued before it: a
    // stateless token must not come back to life when the user does.
    expect(
      (await t().app.inject({ url: "/api/users/me", headers: { authorization: `Bearer ${key}` } }))
        .statusCode,
    ).toBe(401);
    expect((await t().app.inject({ url: "/api/users/me", headers: user.headers })).statusCode).toBe(401);
    expect(
      (
        await t().app.inject({
          method: "POST",
          url: "/v1/chat/completions",
          headers: user.headers,
          payload: { model: "m", messages: [{ role: "user", content: "hi" }] },
        })
      ).statusCode,
    ).toBe(401);
    expect((await t().app.inject({ url: "/api/users/me", headers: again.headers })).statusCode).toBe(200);
  });

  it("granting and revoking admin takes effect on the next request", async () => {
    const user = await t().newUser();
    expect((await t().app.inject({ url: "/api/admin/users", headers: user.headers })).statusCode).toBe(403);
    expect((await patch(user, { admin: true })).json().roles).toEqual(["admin", "user"]);
    expect((await t().app.inject({ url: "/api/admin/users", headers: user.headers })).statusCode).toBe(200);
    expect((await patch(user, { admin: false })).json().roles).toEqual(["user"]);
    expect((await t().app.inject({ url: "/api/admin/users", headers: user.headers })).statusCode).toBe(403);
  });

  it("deletes a user (204): their credentials fail and they are gone (404)", async () => {
    const user = await t().newUser();
    const key = await keyFor(user);
    expect((await asAdmin("DELETE", `/api/admin/users/${user.id}`)).statusCode).toBe(204);
    expect((await t().app.inject({ url: "/api/users/me", headers: user.headers })).statusCode).toBe(401);
    expect(
      (await t().app.inject({ url: "/api/users/me", headers: { authorization: `Bearer ${key}` } }))
        .statusCode,
    ).toBe(401);
    expect((await asAdmin("GET", `/api/admin/users/${user.id}`)).statusCode).toBe(404);
    expect((await asAdmin("DELETE", `/api/admin/users/${user.id}`)).statusCode).toBe(404);
    const rows = await t().sy.db.selectFrom("api_keys").select("id").where("user_id", "=", user.id).execute();
    expect(rows).toEqual([]);
  });

  it("will not delete the only owner of an organization (400)", async () => {
    const user = await t().newUser();
    const org = await t().app.inject({
      method: "POST",
      url: "/api/orgs",
      headers: user.headers,
      payload: { name: `Solo ${user.id}` },
    });
    expect(org.statusCode, org.body).toBe(201);
    const res = await asAdmin("DELETE", `/api/admin/users/${user.id}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain("only owner");
  });

  it("answers 404 for an unknown user and 422 for a malformed id", async () => {
    expect((await asAdmin("GET", "/api/admin/users/01a20000-0000-7000-8000-000000000000")).statusCode).toBe(
      404,
    );
    expect((await asAdmin("PATCH", "/api/admin/users/nope", { admin: true })).statusCode).toBe(422);
  });
});

describeEachDialect("the last admin", (dialect) => {
  const t = useTestApp(dialect);

  it("cannot be disabled, demoted or deleted; with a second admin, they can", async () => {
    const self = t().admin;
    const url = `/api/admin/users/${self.id}`;
    for (const payload of [{ status: "disabled" }, { admin: false }]) {
      const res = await t().app.inject({ method: "PATCH", url, headers: self.headers, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().detail).toContain("last active admin");
    }
    expect((await t().app.inject({ method: "DELETE", url, headers: self.headers })).statusCode).toBe(400);

    const second = await t().newUser({ admin: true });
    const demote = await t().app.inject({
      method: "PATCH",
      url,
      headers: second.headers,
      payload: { admin: false },
    });
    expect(demote.statusCode).toBe(200);
    const back = await t().app.inject({
      method: "PATCH",
      url: `/api/admin/users/${second.id}`,
      headers: second.headers,
      payload: { admin: false },
    });
    expect(back.statusCode).toBe(400);
  });
});

describeEachDialect("concurrent demotions", (dialect) => {
  const t = useTestApp(dialect);

  it("two admins demoting each other at once leave one admin", async () => {
    const a = t().admin;
    const b = await t().newUser({ admin: true });
    const results = await Promise.all([
      t().app.inject({
        method: "PATCH",
        url: `/api/admin/users/${b.id}`,
        headers: a.headers,
        payload: { admin: false },
      }),
      t().app.inject({
        method: "PATCH",
        url: `/api/admin/users/${a.id}`,
        headers: b.headers,
        payload: { admin: false },
      }),
    ]);
    const statuses = results.map((r) => r.statusCode).sort();
    // One wins; the other is refused as the last admin, or no longer is an admin at all (403).
    expect(statuses[0]).toBe(200);
    expect([400, 403]).toContain(statuses[1]);
    const remaining = await t()
      .sy.db.selectFrom("user_roles")
      .innerJoin("roles", "roles.id", "user_roles.role_id")
      .innerJoin("users", "users.id", "user_roles.user_id")
      .select("users.id")
      .where("roles.name", "=", "admin")
      .where("users.status", "=", "active")
      .execute();
    expect(remaining.length).toBe(1);
  });
});
