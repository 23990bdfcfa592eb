import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { Switchyard } from "../../src/app.js";
import { systemActor } from "../../src/domain/actor.js";
import type { Credentials } from "../../src/domain/auth/authenticator.js";
import { createRedisRateLimitStore } from "../../src/ratelimit/redis.js";
import { createTestDatabase, type TestDatabase } from "../support/databases.js";
import { composeForTest, type LogCapture } from "../support/switchyard.js";
import { testEnv } from "../support/test-env.js";

const meta = { ip: "127.0.0.1", userAgent: "test", requestId: "r" };
const bearer = (token: string): Credentials => ({ authorization: `Bearer ${token}`, actAs: undefined, meta });

// Two instances behind a load balancer: one PostgreSQL database, one Redis, separate processes'
// worth of caches. A change on one must reach the other's next request.
describe.skipIf(!inject("redisAvailable") || !inject("availableDialects").includes("postgres"))(
  "two instances sharing PostgreSQL and Redis",
  () => {
    let testDb: TestDatabase;
    let a: Switchyard;
    let b: Switchyard;

    beforeAll(async () => {
      testDb = await createTestDatabase("postgres");
      const masterKey = randomBytes(32).toString("base64");
      ({ sy: a } = await composeForTest({ databaseUrl: testDb.url, redisUrl: testEnv.redisUrl, masterKey }));
      ({ sy: b } = await composeForTest(
        { databaseUrl: testDb.url, redisUrl: testEnv.redisUrl, masterKey },
        { migrate: false },
      ));
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await testDb?.drop();
    });

    async function userWithKey() {
      const email = `r-${randomBytes(4).toString("hex")}@example.test`;
      const user = await a.services.users.create(systemActor("test"), { email, password: "long enough pw" });
      const actor = await a.authenticator.authenticate(
        bearer((await a.services.auth.login({ email, password: "long enough pw" }, meta)).access_token),
      );
      const { key, api_key } = await a.services.apiKeys.create(actor, { name: "k" });
      return { user, actor, key, keyId: api_key.id };
    }

    /** Pub/sub is asynchronous: poll briefly for the other instance to hear of the change. */
    async function eventually(check: () => Promise<boolean>) {
      for (let i = 0; i < 40; i++) {
        if (await check()) return true;
        await new Promise((r) => setTimeout(r, 25));
      }
      return false;
    }
    const rejects = (sy: Switchyard, token: string) => () =>
      sy.authenticator.authenticate(bearer(token)).then(
        () => false,
        () => true,
      );

    it("a key revoked on one instance fails on the other", async () => {
      const { actor, key, keyId } = await userWithKey();
      // Warm b's cache with the key.
      expect((await b.authenticator.authenticate(bearer(key))).userId).toBe(actor.userId);
      await a.services.apiKeys.revoke(actor, keyId);
      expect(await eventually(rejects(b, key))).toBe(true);
    });

    it("a user disabled on one instance is refused by the other", async () => {
      const { user, key } = await userWithKey();
      expect((await b.authenticator.authenticate(bearer(key))).userId).toBe(user.id);
      await a.services.users.update(systemActor("test"), user.id, { status: "disabled" });
      expect(await eventually(rejects(b, key))).toBe(true);
    });

    it("a default connection changed on one instance is what the other resolves next", async () => {
      const { user, actor } = await userWithKey();
      const first = await a.services.connections.create(actor, {
        name: "first",
        provider_type: "openai",
        api_key: "sk-first-000000000000",
      });
      const second = await a.services.connections.create(actor, {
        name: "second",
        provider_type: "openai",
        api_key: "sk-second-00000000000",
      });
      // Warm b's resolution cache.
      expect((await b.resolver.resolve(user.id))?.connection.id).toBe(first.id);
      await a.services.connections.setDefault(actor, second.id);
      expect(
        await eventually(async () => (await b.resolver.resolve(user.id))?.connection.id === second.id),
      ).toBe(true);
    });

    it("an admin role granted on one instance is seen by the other", async () => {
      const { user, key } = await userWithKey();
      expect((await b.authenticator.authenticate(bearer(key))).roles).toEqual(["user"]);
      await a.services.users.update(systemActor("test"), user.id, { admin: true });
      expect(
        await eventually(async () =>
          (await b.authenticator.authenticate(bearer(key))).roles.includes("admin"),
        ),
      ).toBe(true);
    });
  },
);

describe.skipIf(!inject("redisAvailable"))("Redis rate-limit counters", () => {
  const key = () => `test:${randomBytes(6).toString("hex")}`;
  let logs: LogCapture["lines"];
  const logger = {
    warn: (obj: unknown, msg?: string) => void logs.push(JSON.stringify({ obj, msg })),
    info: (obj: unknown, msg?: string) => void logs.push(JSON.stringify({ obj, msg })),
  } as unknown as Parameters<typeof createRedisRateLimitStore>[1];
  beforeEach(() => {
    logs = [];
  });

  it("counts atomically across two stores (two instances)", async () => {
    const one = createRedisRateLimitStore(testEnv.redisUrl, logger);
    const two = createRedisRateLimitStore(testEnv.redisUrl, logger);
    const k = key();
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? one : two).increment(k, 60_000)));
      const seen = await one.peek(k);
      expect(seen.count).toBe(100);
      expect(seen.resetInMs).toBeGreaterThan(0);
      expect(seen.resetInMs).toBeLessThanOrEqual(60_000);
      await two.reset(k);
      expect((await one.peek(k)).count).toBe(0);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("keeps counting in memory when Redis is unreachable, and says so once", async () => {
    const store = createRedisRateLimitStore("redis://127.0.0.1:1", logger);
    const k = key();
    try {
      expect((await store.increment(k, 60_000)).count).toBe(1);
      expect((await store.increment(k, 60_000)).count).toBe(2);
      expect(logs.filter((l) => l.includes("fall back")).length).toBe(1);
    } finally {
      await store.close();
    }
  });
});
