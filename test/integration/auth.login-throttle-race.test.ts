import { randomInt } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { LOGIN_THROTTLE } from "../../src/domain/auth/auth.service.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestApp, useTestApp } from "../support/http-harness.js";
import { testEnv } from "../support/test-env.js";

// Real: the HTTP app, the auth service, argon2 and the database of each dialect; the counters are
// the in-process store, and Redis's in the last suite. The race is between concurrent requests.
const ROUNDS = 4;
const GUESSES = 25;

/** A client address no other run has used, since Redis counters outlive a test run. */
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function concurrentGuesses(t: () => TestApp) {
  it("checks at most the account's limit of passwords, and the right one past it is refused too", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await t().newUser();
      const ip = randomIp();
      const login = (password: string) =>
        t().app.inject({
          method: "POST",
          url: "/api/auth/login",
          remoteAddress: ip,
          payload: { email: user.email, password },
        });
      // The right password comes last, after more wrong ones than the limit allows.
      const passwords = Array.from({ length: GUESSES }, (_, i) =>
        i === GUESSES - 1 ? user.password : `wrong-guess-${i}`,
      );
      const results = await Promise.all(passwords.map(login));
      const statuses = results.map((r) => r.statusCode);
      const checked = statuses.filter((s) => s === 401 || s === 200).length;
      expect(checked, `round ${round}: ${statuses.join()}`).toBeLessThanOrEqual(LOGIN_THROTTLE.perAccount);
      expect(
        statuses.every((s) => s === 401 || s === 200 || s === 429),
        statuses.join(),
      ).toBe(true);

      const right = statuses[GUESSES - 1];
      expect([200, 429]).toContain(right);
      if (right === 429) {
        // Locked: the right password keeps being refused for the rest of the window.
        expect((await login(user.password)).statusCode).toBe(429);
      }
    }
  });

  it("does not count successful sign-ins, nor refused ones, against a client address", async () => {
    const user = await t().newUser();
    const ip = randomIp();
    const login = (email: string, password: string) =>
      t().app.inject({
        method: "POST",
        url: "/api/auth/login",
        remoteAddress: ip,
        payload: { email, password },
      });
    // A locked account, then more refused attempts at it than the address allows failures.
    const locked = await t().newUser();
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_THROTTLE.perAccount + 2; i++)
      statuses.push((await login(locked.email, "wrong")).statusCode);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    for (let i = 0; i < LOGIN_THROTTLE.perAddress - LOGIN_THROTTLE.perAccount; i++) {
      expect((await login(locked.email, "wrong")).statusCode).toBe(429);
    }
    // As many sign-ins as the address allows failures: none of them is one.
    for (let i = 0; i < LOGIN_THROTTLE.perAddress; i++) {
      expect((await login(user.email, user.password)).statusCode).toBe(200);
    }
  });
}

describeEachDialect("concurrent wrong passwords for one account", (dialect) => {
  concurrentGuesses(useTestApp(dialect));
});

describe.skipIf(!inject("redisAvailable"))("concurrent wrong passwords for one account [redis]", () => {
  concurrentGuesses(useTestApp("sqlite", { redisUrl: testEnv.redisUrl }));
});
