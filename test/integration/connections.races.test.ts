import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ConnectionView } from "../../src/domain/connections/connections.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Real: the whole HTTP app, its repo and a fresh database of each dialect. A change to a connection
// races the deletion of that same connection; whichever wins, the loser answers 404 (never 500),
// and the owner keeps exactly one default. On SQLite one writer at a time means the race is always
// settled cleanly; on PostgreSQL and MariaDB it is a real race, run enough times to lose it.

const ROUNDS = 20;
const tag = () => randomBytes(5).toString("hex");
const base = { provider_type: "openai-compatible", base_url: "https://llm.example.test/v1" };

describeEachDialect("connection changes racing its deletion", (dialect) => {
  const t = useTestApp(dialect);

  async function create(user: TestUser): Promise<ConnectionView> {
    const res = await t().app.inject({
      method: "POST",
      url: "/api/llm-providers",
      headers: user.headers,
      payload: { ...base, name: `c-${tag()}` },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<ConnectionView>();
  }

  /** A user with a default `a` and a second connection `b`. */
  async function userWithTwo(): Promise<{ user: TestUser; a: ConnectionView; b: ConnectionView }> {
    const user = await t().newUser();
    const a = await create(user);
    const b = await create(user);
    expect(a.is_default && !b.is_default).toBe(true);
    return { user, a, b };
  }

  const send = (user: TestUser, method: "PUT" | "DELETE", url: string, payload?: Record<string, unknown>) =>
    t().app.inject({ method, url, headers: user.headers, ...(payload ? { payload } : {}) });

  async function defaultsOf(ownerKey: string): Promise<{ rows: number; defaults: string[] }> {
    const rows = await t()
      .sy.db.selectFrom("llm_providers")
      .select(["id", "is_default"])
      .where("owner_key", "=", ownerKey)
      .execute();
    return { rows: rows.length, defaults: rows.filter((r) => Number(r.is_default) === 1).map((r) => r.id) };
  }

  it("set-default racing a delete of the same connection: 200 or 404, and the owner keeps exactly one default", async () => {
    const seen: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { user, a, b } = await userWithTwo();
      const [setDefault, del] = await Promise.all([
        send(user, "PUT", `/api/llm-providers/${b.id}/set-default`),
        send(user, "DELETE", `/api/llm-providers/${b.id}`),
      ]);
      seen.push(`${setDefault.statusCode}/${del.statusCode}`);
      const owner = await defaultsOf(`user:${user.id}`);
      expect(owner.defaults, `round ${round}: ${setDefault.body}`).toHaveLength(1);
      if (setDefault.statusCode === 200) {
        // b became the default first, so the delete of a default with a sibling is refused.
        expect(del.statusCode, del.body).toBe(400);
        expect(setDefault.json<ConnectionView>()).toMatchObject({ id: b.id, is_default: true });
        expect(owner.defaults).toEqual([b.id]);
      } else {
        // The delete won: nothing was cleared, a stays the default.
        expect(setDefault.statusCode, setDefault.body).toBe(404);
        expect(setDefault.json()).toMatchObject({ code: "not_found" });
        expect(del.statusCode, del.body).toBe(204);
        expect(owner).toEqual({ rows: 1, defaults: [a.id] });
      }
    }
    expect(
      seen.every((s) => ["200/400", "404/204"].includes(s)),
      seen.join(" "),
    ).toBe(true);
  });

  it("an edit racing a delete of the same connection: 200 or 404, never 500", async () => {
    const seen: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { user, a, b } = await userWithTwo();
      const [update, del] = await Promise.all([
        send(user, "PUT", `/api/llm-providers/${b.id}`, { model: `m-${round}` }),
        send(user, "DELETE", `/api/llm-providers/${b.id}`),
      ]);
      seen.push(`${update.statusCode}/${del.statusCode}`);
      expect(del.statusCode, del.body).toBe(204);
      if (update.statusCode === 200) {
        expect(update.json<ConnectionView>()).toMatchObject({ id: b.id, model: `m-${round}` });
      } else {
        expect(update.statusCode, update.body).toBe(404);
        expect(update.json()).toMatchObject({ code: "not_found" });
      }
      expect(await defaultsOf(`user:${user.id}`)).toEqual({ rows: 1, defaults: [a.id] });
    }
    expect(
      seen.every((s) => ["200/204", "404/204"].includes(s)),
      seen.join(" "),
    ).toBe(true);
  });

  it("an edit that makes the connection the default, racing its delete, never leaves the owner without one", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { user, b } = await userWithTwo();
      const [update, del] = await Promise.all([
        send(user, "PUT", `/api/llm-providers/${b.id}`, { is_default: true }),
        send(user, "DELETE", `/api/llm-providers/${b.id}`),
      ]);
      expect([200, 404], update.body).toContain(update.statusCode);
      expect([204, 400], del.body).toContain(del.statusCode);
      expect((await defaultsOf(`user:${user.id}`)).defaults, `round ${round}`).toHaveLength(1);
    }
  });

  it("two deletes of the same connection: one 204, the other 404", async () => {
    const { user, a, b } = await userWithTwo();
    const replies = await Promise.all([
      send(user, "DELETE", `/api/llm-providers/${b.id}`),
      send(user, "DELETE", `/api/llm-providers/${b.id}`),
    ]);
    expect(replies.map((r) => r.statusCode).sort()).toEqual([204, 404]);
    expect(await defaultsOf(`user:${user.id}`)).toEqual({ rows: 1, defaults: [a.id] });
  });

  describe("the repo, on a connection deleted before the write", () => {
    it("makeDefault changes nothing and says so: the old default stays", async () => {
      const { user, a, b } = await userWithTwo();
      const ownerKey = `user:${user.id}`;
      await t().sy.connectionsRepo.delete(b.id);
      const made = await t()
        .sy.db.transaction()
        .execute((trx) => t().sy.connectionsRepo.makeDefault(ownerKey, b.id, trx));
      expect(made).toBe(false);
      expect(await defaultsOf(ownerKey)).toEqual({ rows: 1, defaults: [a.id] });
    });

    it("makeDefault of another owner's connection changes nothing either", async () => {
      const { user, a } = await userWithTwo();
      const other = await userWithTwo();
      const made = await t()
        .sy.db.transaction()
        .execute((trx) => t().sy.connectionsRepo.makeDefault(`user:${user.id}`, other.b.id, trx));
      expect(made).toBe(false);
      expect((await defaultsOf(`user:${user.id}`)).defaults).toEqual([a.id]);
      expect((await defaultsOf(`user:${other.user.id}`)).defaults).toEqual([other.a.id]);
    });

    it("update reports that there was no row to change", async () => {
      const { user, b } = await userWithTwo();
      await t().sy.connectionsRepo.delete(b.id);
      expect(await t().sy.connectionsRepo.update(b.id, `user:${user.id}`, { model: "gone" })).toBe(false);
    });
  });
});
