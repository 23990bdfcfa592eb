import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

describeEachDialect("/api/users/me", (dialect) => {
  const t = useTestApp(dialect);

  it("answers the caller with roles and profile, and 401 without credentials", async () => {
    const user = await t().newUser();
    const me = await t().app.inject({ url: "/api/users/me", headers: user.headers });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      id: user.id,
      email: user.email,
      status: "active",
      roles: ["user"],
      display_name: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const anonymous = await t().app.inject({ url: "/api/users/me" });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("updates the caller's display name, validating it", async () => {
    const user = await t().newUser();
    const ok = await t().app.inject({
      method: "PATCH",
      url: "/api/users/me",
      headers: user.headers,
      payload: { display_name: "Grace" },
    });
    expect(ok.json().display_name).toBe("Grace");
    const bad = await t().app.inject({
      method: "PATCH",
      url: "/api/users/me",
      headers: user.headers,
      payload: { display_name: "", email: "x@y.z" },
    });
    expect(bad.statusCode).toBe(422);
  });
});

describeEachDialect("/api/users/me/api-keys", (dialect) => {
  const t = useTestApp(dialect);
  const createKey = (user: TestUser, payload: Record<string, unknown> = { name: "laptop" }) =>
    t().app.inject({ method: "POST", url: "/api/users/me/api-keys", headers: user.headers, payload });
  const withKey = (key: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${key}`,
    ...extra,
  });

  it("creates a key shown once, lists it without the key, and authenticates with it", async () => {
    const user = await t().newUser();
    const created = await createKey(user);
    expect(created.statusCode, created.body).toBe(201);
    const { key, api_key } = created.json();
    expect(key).toMatch(/^sy-[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(api_key.prefix)).toBe(true);
    expect(api_key).toMatchObject({ name: "laptop", scopes: [], expires_at: null, last_used_at: null });

    const list = await t().app.inject({ url: "/api/users/me/api-keys", headers: user.headers });
    expect(list.json().items.map((k: { id: string }) => k.id)).toEqual([api_key.id]);
    expect(list.body).not.toContain(key);

    const me = await t().app.inject({ url: "/api/users/me", headers: withKey(key) });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(user.id);
  });

  it("stores only a hash of the key", async () => {
    const user = await t().newUser();
    const { key, api_key } = (await createKey(user)).json();
    const rows = await t().sy.db.selectFrom("api_keys").selectAll().where("id", "=", api_key.id).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(key.slice(api_key.prefix.length));
  });

  it("a revoked key stops working on its very next request", async () => {
    const user = await t().newUser();
    const { key, api_key } = (await createKey(user)).json();
    expect((await t().app.inject({ url: "/api/users/me", headers: withKey(key) })).statusCode).toBe(200);
    const revoke = await t().app.inject({
      method: "DELETE",
      url: `/api/users/me/api-keys/${api_key.id}`,
      headers: user.headers,
    });
    expect(revoke.statusCode).toBe(204);
    expect((await t().app.inject({ url: "/api/users/me", headers: withKey(key) })).statusCode).toBe(401);
    const again = await t().app.inject({
      method: "DELETE",
      url: `/api/users/me/api-keys/${api_key.id}`,
      headers: user.headers,
    });
    expect(again.statusCode).toBe(404);
  });

  it("one user can neither see nor revoke another's key (404, not 403)", async () => {
    const alice = await t().newUser();
    const bob = await t().newUser();
    const { key, api_key } = (await createKey(alice)).json();
    const bobsList = await t().app.inject({ url: "/api/users/me/api-keys", headers: bob.headers });
    expect(bobsList.json().items).toEqual([]);
    const steal = await t().app.inject({
      method: "DELETE",
      url: `/api/users/me/api-keys/${api_key.id}`,
      headers: bob.headers,
    });
    expect(steal.statusCode).toBe(404);
    expect((await t().app.inject({ url: "/api/users/me", headers: withKey(key) })).statusCode).toBe(200);
  });

  it("validates: no name, a past expiry, a non-uuid id and an unknown scope are 422", async () => {
    const user = await t().newUser();
    const cases: [Record<string, unknown>, string][] = [
      [{}, "/name"],
      [{ name: "x", expires_at: "2001-01-01T00:00:00Z" }, "/expires_at"],
      [{ name: "x", scopes: ["root"] }, "/scopes/0"],
    ];
    for (const [payload, field] of cases) {
      const res = await createKey(user, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(res.json().errors[0].field).toBe(field);
    }
    const badId = await t().app.inject({
      method: "DELETE",
      url: "/api/users/me/api-keys/not-a-uuid",
      headers: user.headers,
    });
    expect(badId.statusCode).toBe(422);
  });

  it("an unknown or malformed key is 401 with one message", async () => {
    for (const key of ["sy-doesnotexist", "sy-", `sy-${"A".repeat(43)}`]) {
      const res = await t().app.inject({ url: "/api/users/me", headers: withKey(key) });
      expect(res.statusCode).toBe(401);
      expect(res.json().detail).toBe("Missing, invalid or expired credentials");
    }
  });

  it("a key with a future expiry works until then", async () => {
    const user = await t().newUser();
    const { key } = (
      await createKey(user, { name: "short", expires_at: new Date(Date.now() + 3_600_000).toISOString() })
    ).json();
    expect((await t().app.inject({ url: "/api/users/me", headers: withKey(key) })).statusCode).toBe(200);
  });

  it("an expired key fails", async () => {
    const user = await t().newUser();
    const { key, api_key } = (await createKey(user)).json();
    await t()
      .sy.db.updateTable("api_keys")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", api_key.id)
      .execute();
    // The key was never used, so no cache holds it: the next lookup reads the expiry.
    expect((await t().app.inject({ url: "/api/users/me", headers: withKey(key) })).statusCode).toBe(401);
  });

  describeServiceKeys();

  function describeServiceKeys() {
    it("only an admin may create an act_as_user key", async () => {
      const user = await t().newUser();
      const res = await createKey(user, { name: "svc", scopes: ["act_as_user"] });
      expect(res.statusCode).toBe(403);
    });

    it("a service key acts for the user named by id or email, and for its owner without the header", async () => {
      const owner = await t().newUser({ admin: true });
      const enduser = await t().newUser();
      const { key } = (await createKey(owner, { name: "backend", scopes: ["act_as_user"] })).json();

      const byId = await t().app.inject({
        url: "/api/users/me",
        headers: withKey(key, { "x-switchyard-user": enduser.id }),
      });
      expect(byId.statusCode, byId.body).toBe(200);
      expect(byId.json().id).toBe(enduser.id);
      const byEmail = await t().app.inject({
        url: "/api/users/me",
        headers: withKey(key, { "x-switchyard-user": enduser.email.toUpperCase() }),
      });
      expect(byEmail.json().id).toBe(enduser.id);
      const self = await t().app.inject({ url: "/api/users/me", headers: withKey(key) });
      expect(self.json().id).toBe(owner.id);

      const nobody = await t().app.inject({
        url: "/api/users/me",
        headers: withKey(key, { "x-switchyard-user": "nobody@example.test" }),
      });
      expect(nobody.statusCode).toBe(404);

      // Acting for someone does not let the key manage that someone's keys.
      const keys = await t().app.inject({
        url: "/api/users/me/api-keys",
        headers: withKey(key, { "x-switchyard-user": enduser.id }),
      });
      expect(keys.statusCode).toBe(403);
    });

    it("X-Switchyard-User with a plain key or an access token is 403", async () => {
      const user = await t().newUser();
      const other = await t().newUser();
      const { key } = (await createKey(user)).json();
      const plain = await t().app.inject({
        url: "/api/users/me",
        headers: withKey(key, { "x-switchyard-user": other.id }),
      });
      expect(plain.statusCode).toBe(403);
      const token = await t().app.inject({
        url: "/api/users/me",
        headers: { ...user.headers, "x-switchyard-user": other.id },
      });
      expect(token.statusCode).toBe(403);
    });

    it("a service key loses its power the moment its owner stops being an admin", async () => {
      const owner = await t().newUser({ admin: true });
      const enduser = await t().newUser();
      const { key } = (await createKey(owner, { name: "backend", scopes: ["act_as_user"] })).json();
      const headers = withKey(key, { "x-switchyard-user": enduser.id });
      expect((await t().app.inject({ url: "/api/users/me", headers })).statusCode).toBe(200);
      const demote = await t().app.inject({
        method: "PATCH",
        url: `/api/admin/users/${owner.id}`,
        headers: t().admin.headers,
        payload: { admin: false },
      });
      expect(demote.statusCode).toBe(200);
      expect((await t().app.inject({ url: "/api/users/me", headers })).statusCode).toBe(403);
    });

    it("the audit log names the service key and its owner for what it did", async () => {
      const owner = await t().newUser({ admin: true });
      const enduser = await t().newUser();
      const { key, api_key } = (await createKey(owner, { name: "backend", scopes: ["act_as_user"] })).json();
      const res = await t().app.inject({
        method: "PATCH",
        url: "/api/users/me",
        headers: withKey(key, { "x-switchyard-user": enduser.id }),
        payload: { display_name: "Set by the backend" },
      });
      expect(res.statusCode).toBe(200);
      const audit = await t().app.inject({
        url: `/api/admin/audit-logs?action=user.update&resource_id=${enduser.id}`,
        headers: t().admin.headers,
      });
      const [entry] = audit.json().items;
      expect(entry.actor_id).toBe(owner.id);
      expect(entry.actor_label).toContain(api_key.id);
    });
  }
});
