import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ConnectionView } from "../../src/domain/connections/connections.schemas.js";
import type { OrgView } from "../../src/domain/orgs/orgs.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Real: the whole HTTP app and a fresh database of each dialect; the default rule is checked both
// over HTTP and on the rows themselves. The suite shares one database: every test makes its own
// users and orgs, and only the "system scope" test creates system connections (it relies on the
// system scope starting empty).

type Method = "GET" | "POST" | "PUT" | "DELETE";

interface Reply {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json<T>(): T;
}

const tag = () => randomBytes(5).toString("hex");
const base = { provider_type: "openai-compatible", base_url: "https://llm.example.test/v1" };

describeEachDialect("connection defaults", (dialect) => {
  const t = useTestApp(dialect);

  function call(user: TestUser | undefined, method: Method, url: string, payload?: unknown): Promise<Reply> {
    return t().app.inject({
      method,
      url,
      headers: user?.headers ?? {},
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  async function create(user: TestUser, body: Record<string, unknown> = {}): Promise<ConnectionView> {
    const res = await call(user, "POST", "/api/llm-providers", { ...base, name: `c-${tag()}`, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<ConnectionView>();
  }

  async function get(user: TestUser, id: string): Promise<ConnectionView> {
    const res = await call(user, "GET", `/api/llm-providers/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ConnectionView>();
  }

  async function createOrg(owner: TestUser): Promise<OrgView> {
    const res = await call(owner, "POST", "/api/orgs", { name: `Org ${tag()}` });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<OrgView>();
  }

  function expectProblem(res: Reply, status: number, code: string): void {
    expect(res.statusCode, res.body).toBe(status);
    expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, code });
  }

  /** The owner's rows straight from the database: [id, is_default] for each. */
  async function rowsOf(ownerKey: string): Promise<{ id: string; isDefault: boolean }[]> {
    const rows = await t()
      .sy.db.selectFrom("llm_providers")
      .select(["id", "is_default"])
      .where("owner_key", "=", ownerKey)
      .execute();
    return rows.map((r) => ({ id: r.id, isDefault: Number(r.is_default) === 1 }));
  }

  async function defaultsOf(ownerKey: string): Promise<string[]> {
    return (await rowsOf(ownerKey)).filter((r) => r.isDefault).map((r) => r.id);
  }

  describe("the first connection is the default", () => {
    it("seed 003 AC-6: a user's first connection becomes its default, later ones do not", async () => {
      const user = await t().newUser();
      // Asking for is_default false on the first changes nothing: an owner always has a default.
      const first = await create(user, { is_default: false });
      expect(first.is_default).toBe(true);
      const second = await create(user);
      expect(second.is_default).toBe(false);
      expect(await defaultsOf(`user:${user.id}`)).toEqual([first.id]);
    });

    it("seed 003 AC-6: an org's first connection becomes the org's default", async () => {
      const owner = await t().newUser();
      // The owner's own connection is another owner: it does not stop the org's first from being default.
      await create(owner);
      const org = await createOrg(owner);
      const first = await create(owner, { scope: "org", org_id: org.id });
      expect(first.is_default).toBe(true);
      const second = await create(owner, { scope: "org", org_id: org.id });
      expect(second.is_default).toBe(false);
      expect(await defaultsOf(`org:${org.id}`)).toEqual([first.id]);
    });

    it("seed 003 AC-6: the system scope's first connection becomes the system default, which is never deletable", async () => {
      const admin = t().admin;
      expect(await rowsOf("system"), "this test needs the system scope empty").toEqual([]);
      const s1 = await create(admin, { scope: "system", base_url: "http://127.0.0.1:9/v1" });
      expect(s1.is_default).toBe(true);

      // The only system connection, and the default: still not deletable.
      expectProblem(await call(admin, "DELETE", `/api/llm-providers/${s1.id}`), 400, "bad_request");
      expect(await defaultsOf("system")).toEqual([s1.id]);

      const s2 = await create(admin, { scope: "system" });
      expect(s2.is_default).toBe(false);
      const s3 = await create(admin, { scope: "system", is_default: true });
      expect(s3.is_default).toBe(true);
      expect((await get(admin, s1.id)).is_default).toBe(false);
      expect(await defaultsOf("system")).toEqual([s3.id]);

      // A non-default system connection may go; the default may not.
      expect((await call(admin, "DELETE", `/api/llm-providers/${s1.id}`)).statusCode).toBe(204);
      expectProblem(await call(admin, "DELETE", `/api/llm-providers/${s3.id}`), 400, "bad_request");
      // Unsetting it is 400 too.
      expectProblem(
        await call(admin, "PUT", `/api/llm-providers/${s3.id}`, { is_default: false }),
        400,
        "bad_request",
      );

      // Move the default, delete the old one; the last one left is the default and stays.
      expect((await call(admin, "PUT", `/api/llm-providers/${s2.id}/set-default`)).statusCode).toBe(200);
      expect((await call(admin, "DELETE", `/api/llm-providers/${s3.id}`)).statusCode).toBe(204);
      expectProblem(await call(admin, "DELETE", `/api/llm-providers/${s2.id}`), 400, "bad_request");
      expect(await rowsOf("system")).toEqual([{ id: s2.id, isDefault: true }]);
    });
  });

  describe("moving the default", () => {
    it("seed 003 AC-2: creating with is_default true moves the owner's default", async () => {
      const user = await t().newUser();
      const a = await create(user);
      const b = await create(user, { is_default: true });
      expect(b.is_default).toBe(true);
      expect((await get(user, a.id)).is_default).toBe(false);
      expect(await defaultsOf(`user:${user.id}`)).toEqual([b.id]);
    });

    it("seed 003 AC-2: set-default moves the default; the old one is no longer default", async () => {
      const user = await t().newUser();
      const a = await create(user);
      const b = await create(user);
      const c = await create(user);
      const res = await call(user, "PUT", `/api/llm-providers/${c.id}/set-default`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id: c.id, is_default: true });
      expect((await get(user, a.id)).is_default).toBe(false);
      expect((await get(user, b.id)).is_default).toBe(false);
      expect(await defaultsOf(`user:${user.id}`)).toEqual([c.id]);

      // Setting the current default again is harmless.
      expect((await call(user, "PUT", `/api/llm-providers/${c.id}/set-default`)).statusCode).toBe(200);
      expect(await defaultsOf(`user:${user.id}`)).toEqual([c.id]);

      // PUT {is_default: true} does the same.
      const put = await call(user, "PUT", `/api/llm-providers/${a.id}`, { is_default: true });
      expect(put.statusCode, put.body).toBe(200);
      expect(await defaultsOf(`user:${user.id}`)).toEqual([a.id]);
    });

    it("seed 003 AC-2: set-default only touches its own owner's default", async () => {
      const owner = await t().newUser();
      const mine = await create(owner);
      const org = await createOrg(owner);
      const orgA = await create(owner, { scope: "org", org_id: org.id });
      const orgB = await create(owner, { scope: "org", org_id: org.id });
      expect((await call(owner, "PUT", `/api/llm-providers/${orgB.id}/set-default`)).statusCode).toBe(200);
      expect(await defaultsOf(`org:${org.id}`)).toEqual([orgB.id]);
      expect(await defaultsOf(`user:${owner.id}`)).toEqual([mine.id]);
      expect((await get(owner, orgA.id)).is_default).toBe(false);
    });
  });

  describe("always one default", () => {
    it("seed 003 AC-6: unsetting the last default (PUT is_default false on the default) is 400", async () => {
      const user = await t().newUser();
      const only = await create(user);
      expectProblem(
        await call(user, "PUT", `/api/llm-providers/${only.id}`, { is_default: false }),
        400,
        "bad_request",
      );
      const other = await create(user);
      const a = await call(user, "PUT", `/api/llm-providers/${only.id}`, { is_default: false });
      expectProblem(a, 400, "bad_request");
      // The 400 changes nothing else in the same request either.
      const b = await call(user, "PUT", `/api/llm-providers/${only.id}`, {
        is_default: false,
        model: "changed",
      });
      expectProblem(b, 400, "bad_request");
      expect(await get(user, only.id)).toMatchObject({ is_default: true, model: null });
      // is_default false on a connection that is not the default is fine (nothing to unset).
      const fine = await call(user, "PUT", `/api/llm-providers/${other.id}`, { is_default: false });
      expect(fine.statusCode, fine.body).toBe(200);
      expect(await defaultsOf(`user:${user.id}`)).toEqual([only.id]);
    });

    it("seed 003 AC-6: unsetting an org's default is 400 as well", async () => {
      const owner = await t().newUser();
      const org = await createOrg(owner);
      const first = await create(owner, { scope: "org", org_id: org.id });
      expectProblem(
        await call(owner, "PUT", `/api/llm-providers/${first.id}`, { is_default: false }),
        400,
        "bad_request",
      );
      expect(await defaultsOf(`org:${org.id}`)).toEqual([first.id]);
    });

    it("seed 003 AC-2: deleting the default while the owner has others is 400; a non-default deletes fine", async () => {
      const user = await t().newUser();
      const def = await create(user);
      const other = await create(user);
      const third = await create(user);
      expectProblem(await call(user, "DELETE", `/api/llm-providers/${def.id}`), 400, "bad_request");
      expect((await call(user, "DELETE", `/api/llm-providers/${other.id}`)).statusCode).toBe(204);
      expectProblem(await call(user, "DELETE", `/api/llm-providers/${def.id}`), 400, "bad_request");
      expect(await rowsOf(`user:${user.id}`)).toEqual(
        expect.arrayContaining([
          { id: def.id, isDefault: true },
          { id: third.id, isDefault: false },
        ]),
      );
      expect(await rowsOf(`user:${user.id}`)).toHaveLength(2);
    });

    it("seed 003 AC-2: deleting a user's only connection (its default) is fine", async () => {
      const user = await t().newUser();
      const only = await create(user);
      const res = await call(user, "DELETE", `/api/llm-providers/${only.id}`);
      expect(res.statusCode, res.body).toBe(204);
      expect(await rowsOf(`user:${user.id}`)).toEqual([]);
      // The next one is the default again.
      expect((await create(user)).is_default).toBe(true);
    });

    it("seed 003 AC-2: deleting an org's only connection is fine; with others its default is 400", async () => {
      const owner = await t().newUser();
      const org = await createOrg(owner);
      const first = await create(owner, { scope: "org", org_id: org.id });
      const second = await create(owner, { scope: "org", org_id: org.id });
      expectProblem(await call(owner, "DELETE", `/api/llm-providers/${first.id}`), 400, "bad_request");
      expect((await call(owner, "DELETE", `/api/llm-providers/${second.id}`)).statusCode).toBe(204);
      expect((await call(owner, "DELETE", `/api/llm-providers/${first.id}`)).statusCode).toBe(204);
      expect(await rowsOf(`org:${org.id}`)).toEqual([]);
    });
  });

  describe("concurrency", () => {
    it("DESIGN Connections: 50 concurrent set-default calls across 5 connections leave exactly one default", async () => {
      const user = await t().newUser();
      const conns: ConnectionView[] = [];
      for (let i = 0; i < 5; i++) conns.push(await create(user));
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          call(user, "PUT", `/api/llm-providers/${conns[i % 5]!.id}/set-default`),
        ),
      );
      for (const r of replies) expect(r.statusCode, r.body).toBe(200);
      const rows = await rowsOf(`user:${user.id}`);
      expect(rows).toHaveLength(5);
      expect(rows.filter((r) => r.isDefault)).toHaveLength(1);
      // And the API agrees with the rows.
      const listed = await call(user, "GET", "/api/llm-providers");
      const own = listed.json<{ items: ConnectionView[] }>().items.filter((c) => c.user_id === user.id);
      expect(own.filter((c) => c.is_default).map((c) => c.id)).toEqual(
        rows.filter((r) => r.isDefault).map((r) => r.id),
      );
      expect(own[0]!.is_default).toBe(true);
    });

    it("DESIGN Connections: concurrent creates of a new user's first two connections leave exactly one default", async () => {
      for (let round = 0; round < 3; round++) {
        const user = await t().newUser();
        const replies = await Promise.all([
          call(user, "POST", "/api/llm-providers", { ...base, name: `x-${tag()}` }),
          call(user, "POST", "/api/llm-providers", { ...base, name: `y-${tag()}` }),
        ]);
        for (const r of replies) expect(r.statusCode, r.body).toBe(201);
        const rows = await rowsOf(`user:${user.id}`);
        expect(rows).toHaveLength(2);
        expect(
          rows.filter((r) => r.isDefault),
          `round ${round}`,
        ).toHaveLength(1);
        // Which of the two ends up the default is a race (each reply reads its row once its own
        // transaction commits); that the owner has exactly one, and it is one of them, is the rule.
        expect(replies.map((r) => r.json<ConnectionView>().id)).toContain(rows.find((r) => r.isDefault)?.id);
      }
    });

    it("DESIGN Connections: concurrent creates asking for is_default true leave exactly one default", async () => {
      const user = await t().newUser();
      await create(user);
      const replies = await Promise.all(
        Array.from({ length: 6 }, () =>
          call(user, "POST", "/api/llm-providers", { ...base, name: `d-${tag()}`, is_default: true }),
        ),
      );
      for (const r of replies) expect(r.statusCode, r.body).toBe(201);
      const rows = await rowsOf(`user:${user.id}`);
      expect(rows).toHaveLength(7);
      expect(rows.filter((r) => r.isDefault)).toHaveLength(1);
    });
  });

  it("seed 001: deleting a user deletes that user's connections", async () => {
    const user = await t().newUser();
    const bystander = await t().newUser();
    await create(user);
    await create(user, { api_key: `sk-gone-${tag()}` });
    const kept = await create(bystander);
    expect(await rowsOf(`user:${user.id}`)).toHaveLength(2);

    const res = await call(t().admin, "DELETE", `/api/admin/users/${user.id}`);
    expect(res.statusCode, res.body).toBe(204);
    const left = await t()
      .sy.db.selectFrom("llm_providers")
      .select("id")
      .where("user_id", "=", user.id)
      .execute();
    expect(left).toEqual([]);
    expect(await rowsOf(`user:${bystander.id}`)).toEqual([{ id: kept.id, isDefault: true }]);
  });
});
