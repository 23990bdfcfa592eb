import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { describe, expect, it } from "vitest";
import { systemActor, userActor } from "../../src/domain/actor.js";
import { AppError } from "../../src/domain/errors.js";
import type { OrgView } from "../../src/domain/orgs/orgs.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Real: the whole HTTP app, its services and a fresh database of each dialect. Something is created
// while its owner (a user or an org) is deleted. The foreign key settles the race on PostgreSQL and
// MariaDB; whichever side wins, the create answers 201 or 404, never a 500 from the raw violation.
// A request whose user is already gone when it is authenticated is 401, which is fine too.

const ROUNDS = 10;
const tag = () => randomBytes(5).toString("hex");
const connection = (extra: Record<string, unknown> = {}) => ({
  name: `c-${tag()}`,
  provider_type: "openai-compatible",
  base_url: "https://llm.example.test/v1",
  ...extra,
});

async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describeEachDialect("creating while the owner is deleted", (dialect) => {
  const t = useTestApp(dialect);

  const post = (user: TestUser, url: string, payload: Record<string, unknown>) =>
    t().app.inject({ method: "POST", url, headers: user.headers, payload });
  const del = (user: TestUser, url: string) =>
    t().app.inject({ method: "DELETE", url, headers: user.headers });

  async function createOrg(owner: TestUser): Promise<OrgView> {
    const res = await post(owner, "/api/orgs", { name: `Org ${tag()}` });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<OrgView>();
  }

  async function rowsOwnedBy(ownerKey: string): Promise<number> {
    const rows = await t()
      .sy.db.selectFrom("llm_providers")
      .select("id")
      .where("owner_key", "=", ownerKey)
      .execute();
    return rows.length;
  }

  it("POST an org connection racing DELETE of the org: 201 or 404, and no connection outlives the org", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const owner = await t().newUser();
      const org = await createOrg(owner);
      const [created, deleted] = await Promise.all([
        post(owner, "/api/llm-providers", connection({ scope: "org", org_id: org.id })),
        del(owner, `/api/orgs/${org.id}`),
      ]);
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect([201, 404], `round ${round}: ${created.body}`).toContain(created.statusCode);
      if (created.statusCode === 404) expect(created.json()).toMatchObject({ code: "not_found" });
      expect(await rowsOwnedBy(`org:${org.id}`)).toBe(0);
    }
  });

  it("POST a connection racing the admin's DELETE of its user: 201, 401 or 404, and no connection outlives the user", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await t().newUser();
      const [created, deleted] = await Promise.all([
        post(user, "/api/llm-providers", connection()),
        del(t().admin, `/api/admin/users/${user.id}`),
      ]);
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect([201, 401, 404], `round ${round}: ${created.body}`).toContain(created.statusCode);
      expect(await rowsOwnedBy(`user:${user.id}`)).toBe(0);
    }
  });

  it("POST an org racing the admin's DELETE of its creator: 201 and the delete refused, or 401/404; never an org left without an owner", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await t().newUser();
      const [created, deleted] = await Promise.all([
        post(user, "/api/orgs", { name: `Org ${tag()}` }),
        del(t().admin, `/api/admin/users/${user.id}`),
      ]);
      // The org committed first: its creator is now its only owner, which the delete refuses.
      if (deleted.statusCode === 400) {
        expect(created.statusCode, created.body).toBe(201);
        continue;
      }
      expect(deleted.statusCode, deleted.body).toBe(204);
      // The delete locks the user before it checks what the user solely owns, and the create locks
      // it too: an org created beside a deletion that went through would have no owner left.
      expect([401, 404], `round ${round}: ${created.body}`).toContain(created.statusCode);
      const memberships = await t()
        .sy.db.selectFrom("memberships")
        .select("org_id")
        .where("user_id", "=", user.id)
        .execute();
      expect(memberships).toEqual([]);
    }
  });

  describe("the services, for an owner that is already gone (the foreign key is what refuses it)", () => {
    it("a system actor's connection for an org that does not exist is not_found", async () => {
      const error = await appErrorOf(
        t().sy.services.connections.create(
          systemActor("test"),
          connection({ scope: "org", org_id: uuidv7() }),
        ),
      );
      expect(error.code).toBe("not_found");
      expect(error.message).toMatch(/organization/);
    });

    it("a connection of a user who was deleted after signing in is not_found", async () => {
      const gone = userActor(uuidv7(), ["user"]);
      const error = await appErrorOf(t().sy.services.connections.create(gone, connection()));
      expect(error.code).toBe("not_found");
      expect(await rowsOwnedBy(`user:${gone.userId}`)).toBe(0);
    });

    it("an org created by a user who was deleted after signing in is not_found", async () => {
      const error = await appErrorOf(
        t().sy.services.orgs.create(userActor(uuidv7(), ["user"]), { name: `Org ${tag()}` }),
      );
      expect(error.code).toBe("not_found");
    });
  });
});
