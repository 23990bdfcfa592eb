import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { type TestApp, useTestApp } from "../support/http-harness.js";

let ipCounter = 0;
/** A client address of its own per test, so throttling in one test cannot touch another. */
const freshIp = () => `10.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}.7`;

async function setRegistration(t: TestApp, value: "open" | "closed") {
  const res = await t.app.inject({
    method: "PUT",
    url: "/api/admin/settings/auth.registration",
    headers: t.admin.headers,
    payload: { value },
  });
  expect(res.statusCode, res.body).toBe(200);
}

describeEachDialect("POST /api/auth/register", (dialect) => {
  const t = useTestApp(dialect);

  it("made the first user an admin", async () => {
    const me = await t().app.inject({ url: "/api/users/me", headers: t().admin.headers });
    expect(me.json()).toMatchObject({ email: t().admin.email, roles: ["admin", "user"], status: "active" });
  });

  it("refuses a second registration while registration is closed (the default)", async () => {
    const res = await t().app.inject({
      method: "POST",
      url: "/api/auth/register",
      payload: { email: "stranger@example.test", password: "long enough password" },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: "forbidden", status: 403 });
  });

  it("registers a plain user while open, and refuses a duplicate email in any case", async () => {
    await setRegistration(t(), "open");
    try {
      const res = await t().app.inject({
        method: "POST",
        url: "/api/auth/register",
        payload: { email: "Newcomer@Example.test", password: "long enough password", display_name: "New" },
      });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json();
      expect(body.user).toMatchObject({
        email: "newcomer@example.test",
        roles: ["user"],
        display_name: "New",
      });
      expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
      expect(body.refresh_token).toMatch(/^syr_/);

      const again = await t().app.inject({
        method: "POST",
        url: "/api/auth/register",
        payload: { email: "NEWCOMER@example.test", password: "another long password" },
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe("conflict");
    } finally {
      await setRegistration(t(), "closed");
    }
  });

  it("answers 422 naming the field for a bad email, a short password or an unknown field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: "not-an-email", password: "long enough password" }, "/email"],
      [{ email: "a@example.test", password: "short" }, "/password"],
      [{ email: "a@example.test" }, "/password"],
      [{ email: "a@example.test", password: "long enough password", role: "admin" }, "/role"],
    ];
    for (const [payload, field] of cases) {
      const res = await t().app.inject({ method: "POST", url: "/api/auth/register", payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(res.json().errors[0].field).toBe(field);
    }
  });
});

describeEachDialect("POST /api/auth/login", (dialect) => {
  const t = useTestApp(dialect);

  it("signs in with the right password and answers the same 401 for a wrong password or an unknown email", async () => {
    const user = await t().newUser();
    const ok = await t().app.inject({
      method: "POST",
      url: "/api/auth/login",
      remoteAddress: freshIp(),
      payload: { email: user.email.toUpperCase(), password: user.password },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.id).toBe(user.id);

    const wrong = await t().app.inject({
      method: "POST",
      url: "/api/auth/login",
      remoteAddress: freshIp(),
      payload: { email: user.email, password: "not the password" },
    });
    const unknown = await t().app.inject({
      method: "POST",
      url: "/api/auth/login",
      remoteAddress: freshIp(),
      payload: { email: "nobody-here@example.test", password: "not the password" },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
    expect(wrong.json().code).toBe("unauthorized");
  });

  it("throttles an account after 5 failures with 429 and Retry-After, even for the right password", async () => {
    const user = await t().newUser();
    for (let i = 0; i < 5; i++) {
      const res = await t().app.inject({
        method: "POST",
        url: "/api/auth/login",
        remoteAddress: freshIp(),
        payload: { email: user.email, password: `wrong-${i}` },
      });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t().app.inject({
      method: "POST",
      url: "/api/auth/login",
      remoteAddress: freshIp(),
      payload: { email: user.email, password: user.password },
    });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe("rate_limited");
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("throttles a client address after 30 failures across different accounts", async () => {
    const ip = freshIp();
    for (let i = 0; i < 30; i++) {
      const res = await t().app.inject({
        method: "POST",
        url: "/api/auth/login",
        remoteAddress: ip,
        payload: { email: `spray-${i}@example.test`, password: "guess" },
      });
      expect(res.statusCode).toBe(401);
    }
    const user = await t().newUser();
    const blocked = await t().app.inject({
      method: "POST",
      url: "/api/auth/login",
      remoteAddress: ip,
      payload: { email: user.email, password: user.password },
    });
    expect(blocked.statusCode).toBe(429);
    const elsewhere = await t().app.inject({
      method: "POST",
      url: "/api/auth/login",
      remoteAddress: freshIp(),
      payload: { email: user.email, password: user.password },
    });
    expect(elsewhere.statusCode).toBe(200);
  });

  it("refuses a disabled user with the same 401", async () => {
    const user = await t().newUser();
    await t().app.inject({
      method: "PATCH",
      url: `/api/admin/users/${user.id}`,
      headers: t().admin.headers,
      payload: { status: "disabled" },
    });
    const res = await t().app.inject({
      method: "POST",
      url: "/api/auth/login",
      remoteAddress: freshIp(),
      payload: { email: user.email, password: user.password },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toBe("Wrong email or password");
  });
});

describeEachDialect("POST /api/auth/refresh and /api/auth/logout", (dialect) => {
  const t = useTestApp(dialect);
  const refresh = (token: string) =>
    t().app.inject({ method: "POST", url: "/api/auth/refresh", payload: { refresh_token: token } });

  it("rotates: the new pair works and the old refresh token stops working", async () => {
    const user = await t().newUser();
    const first = await refresh(user.refreshToken);
    expect(first.statusCode, first.body).toBe(200);
    const pair = first.json();
    expect(pair.refresh_token).not.toBe(user.refreshToken);
    const me = await t().app.inject({
      url: "/api/users/me",
      headers: { authorization: `Bearer ${pair.access_token}` },
    });
    expect(me.statusCode).toBe(200);
    expect((await refresh(pair.refresh_token)).statusCode).toBe(200);
  });

  it("reusing a rotated refresh token revokes the whole family and is audited", async () => {
    const user = await t().newUser();
    const rotated = (await refresh(user.refreshToken)).json();
    const reuse = await refresh(user.refreshToken);
    expect(reuse.statusCode).toBe(401);
    // The attacker's copy is dead, and so is the legitimate client's newer token.
    expect((await refresh(rotated.refresh_token)).statusCode).toBe(401);
    // Another login of the same user is a different family and still works.
    const other = await t().login(user.email, user.password);
    expect((await refresh(other.refreshToken)).statusCode).toBe(200);

    const audit = await t().app.inject({
      url: "/api/admin/audit-logs?action=auth.refresh_token_reused",
      headers: t().admin.headers,
    });
    const entries = audit
      .json()
      .items.filter((e: { details: { user_id?: string } }) => e.details?.user_id === user.id);
    expect(entries).toHaveLength(1);
  });

  it("of two concurrent refreshes with one token, at most one succeeds", async () => {
    const user = await t().newUser();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(user.refreshToken)));
    expect(results.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(1);
    expect(results.every((r) => r.statusCode === 200 || r.statusCode === 401)).toBe(true);
  });

  it("refuses an unknown or malformed refresh token with 401 / 422", async () => {
    expect((await refresh("syr_not-a-real-token")).statusCode).toBe(401);
    const empty = await t().app.inject({ method: "POST", url: "/api/auth/refresh", payload: {} });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().errors[0].field).toBe("/refresh_token");
  });

  it("logout revokes the login's refresh tokens and answers 204", async () => {
    const user = await t().newUser();
    const out = await t().app.inject({ method: "POST", url: "/api/auth/logout", headers: user.headers });
    expect(out.statusCode).toBe(204);
    expect(out.body).toBe("");
    expect((await refresh(user.refreshToken)).statusCode).toBe(401);
  });

  it("logout without credentials is 401", async () => {
    const res = await t().app.inject({ method: "POST", url: "/api/auth/logout" });
    expect(res.statusCode).toBe(401);
  });
});

describeEachDialect("access tokens", (dialect) => {
  const t = useTestApp(dialect);

  it("refuses a token signed with another key, a tampered one, an unsigned one and an expired one", async () => {
    const user = await t().newUser();
    const otherKey = new TextEncoder().encode("x".repeat(32));
    const sign = (exp: string | number) =>
      new SignJWT({ sid: "s" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user.id)
        .setIssuer("switchyard")
        .setAudience("switchyard")
        .setExpirationTime(exp)
        .sign(otherKey);
    const [header, payload] = user.accessToken.split(".");
    const forged = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...forged, sub: t().admin.id })).toString("base64url")}.${user.accessToken.split(".")[2]}`;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
    for (const token of [
      await sign("1h"),
      tampered,
      unsigned,
      await sign(Math.floor(Date.now() / 1000) - 10),
      "garbage",
    ]) {
      const res = await t().app.inject({
        url: "/api/users/me",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe("unauthorized");
    }
  });

  it("accepts only the Bearer scheme", async () => {
    const user = await t().newUser();
    for (const authorization of [user.accessToken, `Basic ${user.accessToken}`, "Bearer", ""]) {
      const res = await t().app.inject({ url: "/api/users/me", headers: { authorization } });
      expect(res.statusCode).toBe(401);
    }
  });
});

describe("auth secrets", () => {
  describeEachDialect("never in logs", (dialect) => {
    const t = useTestApp(dialect);
    it("writes no password, refresh token or access token to the log", async () => {
      const user = await t().newUser();
      const rotated = (
        await t().app.inject({
          method: "POST",
          url: "/api/auth/refresh",
          payload: { refresh_token: user.refreshToken },
        })
      ).json();
      await t().app.inject({
        method: "POST",
        url: "/api/auth/login",
        remoteAddress: freshIp(),
        payload: { email: user.email, password: `${user.password}-wrong` },
      });
      await t().app.inject({ url: "/api/users/me", headers: user.headers });
      const log = t().logs.text();
      for (const secret of [
        user.password,
        user.refreshToken,
        user.accessToken,
        rotated.refresh_token,
        rotated.access_token,
        t().admin.password,
      ]) {
        expect(log).not.toContain(secret);
      }
    });
  });
});
