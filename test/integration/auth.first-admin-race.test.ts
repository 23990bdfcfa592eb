import { afterAll, beforeAll, expect, it } from "vitest";
import type { Switchyard } from "../../src/app.js";
import { systemActor } from "../../src/domain/actor.js";
import type { HttpApp } from "../../src/http/http-app.js";
import { createHttpServer } from "../../src/http/server.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import { composeForTest } from "../support/switchyard.js";

// Real: the HTTP app, the service and the database of each dialect. Nothing is faked; the race is
// between concurrent requests over the real connection pool.
const ROUNDS = 6;
const CLAIMANTS = 10;

describeEachDialect("concurrent first registrations", (dialect) => {
  let testDb: TestDatabase;
  let sy: Switchyard;
  let app: HttpApp;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    ({ sy } = await composeForTest({ databaseUrl: testDb.url }));
    app = await createHttpServer(sy);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await sy?.close();
    await testDb?.drop();
  });

  const adminCount = async () => {
    const rows = await sy.db
      .selectFrom("user_roles")
      .innerJoin("roles", "roles.id", "user_roles.role_id")
      .select("user_roles.user_id")
      .where("roles.name", "=", "admin")
      .execute();
    return rows.length;
  };

  it("make exactly one admin; the others are later registrations, refused while registration is closed", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // Back to an empty database: the next registration is a first one again.
      await sy.db.deleteFrom("users").execute();
      const results = await Promise.all(
        Array.from({ length: CLAIMANTS }, (_, i) =>
          app.inject({
            method: "POST",
            url: "/api/auth/register",
            payload: { email: `first-${round}-${i}@example.test`, password: "long enough password" },
          }),
        ),
      );
      const statuses = results.map((r) => r.statusCode).sort();
      const created = results.filter((r) => r.statusCode === 201);
      // Registration is closed by default, so only the first account may exist.
      expect(statuses, `round ${round}: ${results.map((r) => r.body).join("\n")}`).toEqual([
        201,
        ...Array<number>(CLAIMANTS - 1).fill(403),
      ]);
      expect(created[0]?.json().user.roles).toEqual(["admin", "user"]);
      expect(await adminCount(), `round ${round}`).toBe(1);
    }
  });

  it("while registration is open, make exactly one admin and the rest plain users", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await sy.db.deleteFrom("users").execute();
      await sy.services.settings.set(systemActor("test"), "auth.registration", "open");
      const results = await Promise.all(
        Array.from({ length: CLAIMANTS }, (_, i) =>
          app.inject({
            method: "POST",
            url: "/api/auth/register",
            payload: { email: `open-${round}-${i}@example.test`, password: "long enough password" },
          }),
        ),
      );
      await sy.services.settings.reset(systemActor("test"), "auth.registration");
      expect(
        results.map((r) => r.statusCode),
        results.map((r) => r.body).join("\n"),
      ).toEqual(Array<number>(CLAIMANTS).fill(201));
      const admins = results.filter((r) => r.json().user.roles.includes("admin"));
      expect(admins, `round ${round}`).toHaveLength(1);
      expect(await adminCount(), `round ${round}`).toBe(1);
    }
  });
});
