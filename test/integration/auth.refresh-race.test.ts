import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { useTestApp } from "../support/http-harness.js";

// Real: the HTTP app, the auth service and the database of each dialect; the races are between
// concurrent requests over the real connection pool. Each round is a new login (a new family).
const ROUNDS = 12;
const CONCURRENT_REUSE = 10;

describeEachDialect("refresh-token races", (dialect) => {
  const t = useTestApp(dialect);
  const refresh = (token: string) =>
    t().app.inject({ method: "POST", url: "/api/auth/refresh", payload: { refresh_token: token } });
  const logout = (accessToken: string) =>
    t().app.inject({
      method: "POST",
      url: "/api/auth/logout",
      headers: { authorization: `Bearer ${accessToken}` },
    });

  /** The refresh tokens of this login that still work, trying each (a working one rotates). */
  const stillWorking = async (tokens: string[]) => {
    const results = await Promise.all(tokens.map((token) => refresh(token)));
    return results.filter((r) => r.statusCode !== 401).map((r) => `${r.statusCode} ${r.body}`);
  };

  it("after one refresh token is presented many times at once, no refresh token of that login works", async () => {
    const user = await t().newUser();
    for (let round = 0; round < ROUNDS; round++) {
      const login = await t().login(user.email, user.password);
      const results = await Promise.all(
        Array.from({ length: CONCURRENT_REUSE }, () => refresh(login.refreshToken)),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(
        statuses.every((s) => s === 200 || s === 401),
        statuses.join(),
      ).toBe(true);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
      // Reuse was detected, so the whole login is revoked: the winner's new token included.
      const issued = results.filter((r) => r.statusCode === 200).map((r) => r.json().refresh_token as string);
      expect(await stillWorking([login.refreshToken, ...issued]), `round ${round}`).toEqual([]);
    }
  });

  it("after a logout that raced a refresh answered 204, no refresh token of that login works", async () => {
    const user = await t().newUser();
    for (let round = 0; round < ROUNDS; round++) {
      const login = await t().login(user.email, user.password);
      const [rotated, out] = await Promise.all([refresh(login.refreshToken), logout(login.accessToken)]);
      expect(out.statusCode).toBe(204);
      expect([200, 401]).toContain(rotated.statusCode);
      const issued = rotated.statusCode === 200 ? [rotated.json().refresh_token as string] : [];
      expect(await stillWorking([login.refreshToken, ...issued]), `round ${round}`).toEqual([]);
    }
  });

  it("a plain rotation chain keeps working, and another login of the same user survives a revoked one", async () => {
    const user = await t().newUser();
    const other = await t().login(user.email, user.password);
    let token = user.refreshToken;
    for (let i = 0; i < 3; i++) {
      const res = await refresh(token);
      expect(res.statusCode, res.body).toBe(200);
      token = res.json().refresh_token;
    }
    expect((await refresh(user.refreshToken)).statusCode).toBe(401);
    expect((await refresh(token)).statusCode).toBe(401);
    expect((await refresh(other.refreshToken)).statusCode).toBe(200);
  });
});
