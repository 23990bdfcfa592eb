import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { UserActor } from "../../src/domain/actor.js";
import type { ConnectionView } from "../../src/domain/connections/connections.schemas.js";
import type { OrgView } from "../../src/domain/orgs/orgs.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// DESIGN.md, Secrets: keys are stored only as ciphertext bound to their row, and never appear in a
// response, a log line or an audit row. Real: the HTTP app, the keyring, a fresh database of each
// dialect, and the captured log lines of the whole suite.

type Method = "GET" | "POST" | "PUT" | "DELETE";

interface Reply {
  statusCode: number;
  body: string;
  json<T>(): T;
}

const tag = () => randomBytes(5).toString("hex");
const publicBase = { provider_type: "openai-compatible", base_url: "https://llm.example.test/v1" };

describeEachDialect("connection secrets", (dialect) => {
  const t = useTestApp(dialect);
  /** Every key this suite sends, checked against responses, logs and audit rows at the end. */
  const sentKeys: string[] = [];
  const distinctive = (label: string) => {
    const key = `sk-live-UNIQUE${label}-${tag()}`;
    sentKeys.push(key);
    return key;
  };

  function call(user: TestUser, method: Method, url: string, payload?: unknown): Promise<Reply> {
    return t().app.inject({
      method,
      url,
      headers: user.headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  async function create(user: TestUser, body: Record<string, unknown>): Promise<ConnectionView> {
    const res = await call(user, "POST", "/api/llm-providers", {
      ...publicBase,
      name: `c-${tag()}`,
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<ConnectionView>();
  }

  async function row(id: string) {
    return t().sy.db.selectFrom("llm_providers").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  function actorOf(user: TestUser): Promise<UserActor> {
    return t().sy.authenticator.authenticate({
      authorization: `Bearer ${user.accessToken}`,
      actAs: undefined,
      meta: { ip: null, userAgent: null, requestId: null },
    });
  }

  it("DESIGN Secrets: the created key is not in the database in plaintext; the ciphertext is versioned v1:", async () => {
    const user = await t().newUser();
    const key = distinctive("DB");
    const c = await create(user, { api_key: key });
    const stored = await row(c.id);
    expect(JSON.stringify(stored)).not.toContain(key);
    // Not even a recognisable piece of it (beyond the 4-character hint the design allows).
    expect(JSON.stringify(stored)).not.toContain(key.slice(0, -4));
    expect(stored.api_key_encrypted).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
    expect(stored.api_key_hint).toBe(key.slice(-4));

    // The same key saved twice encrypts differently (random nonce).
    const twin = await create(user, { api_key: key });
    expect((await row(twin.id)).api_key_encrypted).not.toBe(stored.api_key_encrypted);

    // And it decrypts back for a caller who may use it.
    const record = await t().sy.services.connections.findUsable(await actorOf(user), c.id);
    expect(await t().sy.connectionKey(record)).toBe(key);
  });

  it("DESIGN Secrets: a profile key is stored the same way", async () => {
    const user = await t().newUser();
    const key = distinctive("PROFILE");
    const res = await call(user, "PUT", "/api/users/me/llm-profile", {
      provider: "openai-compatible",
      base_url: "https://llm.example.test/v1",
      api_key: key,
    });
    expect(res.statusCode, res.body).toBe(200);
    const stored = await row(res.json<{ id: string }>().id);
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(stored.api_key_encrypted).toMatch(/^v1:/);
  });

  it("DESIGN Secrets: a ciphertext copied to another row of the same owner fails to decrypt", async () => {
    const user = await t().newUser();
    const keyA = distinctive("ROWA");
    const keyB = distinctive("ROWB");
    const a = await create(user, { api_key: keyA });
    const b = await create(user, { api_key: keyB });
    const actor = await actorOf(user);

    const cipherA = (await row(a.id)).api_key_encrypted;
    await t()
      .sy.db.updateTable("llm_providers")
      .set({ api_key_encrypted: cipherA })
      .where("id", "=", b.id)
      .execute();

    const recordB = await t().sy.services.connections.findUsable(actor, b.id);
    expect(recordB.apiKeyEncrypted).toBe(cipherA);
    await expect(t().sy.connectionKey(recordB)).rejects.toThrow();
    // Row A still decrypts: the failure is the row binding, not a broken ciphertext.
    expect(await t().sy.connectionKey(await t().sy.services.connections.findUsable(actor, a.id))).toBe(keyA);
  });

  it("DESIGN Secrets: a ciphertext copied to another user's row fails to decrypt, and the error names no key", async () => {
    const alice = await t().newUser();
    const mallory = await t().newUser();
    const keyA = distinctive("ALICE");
    const a = await create(alice, { api_key: keyA });
    const m = await create(mallory, { api_key: distinctive("MALLORY") });

    const cipherA = (await row(a.id)).api_key_encrypted;
    await t()
      .sy.db.updateTable("llm_providers")
      .set({ api_key_encrypted: cipherA })
      .where("id", "=", m.id)
      .execute();

    const recordM = await t().sy.services.connections.findUsable(await actorOf(mallory), m.id);
    const error = await t()
      .sy.connectionKey(recordM)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(keyA);
    // The record cannot be had by the other user at all.
    await expect(t().sy.services.connections.findUsable(await actorOf(mallory), a.id)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("DESIGN Secrets: an org connection's ciphertext moved to a user row fails to decrypt", async () => {
    const owner = await t().newUser();
    const org = (await call(owner, "POST", "/api/orgs", { name: `Org ${tag()}` })).json<OrgView>();
    const orgConn = await create(owner, { scope: "org", org_id: org.id, api_key: distinctive("ORG") });
    const mine = await create(owner, { api_key: distinctive("OWN") });
    const cipher = (await row(orgConn.id)).api_key_encrypted;
    await t()
      .sy.db.updateTable("llm_providers")
      .set({ api_key_encrypted: cipher })
      .where("id", "=", mine.id)
      .execute();
    const record = await t().sy.services.connections.findUsable(await actorOf(owner), mine.id);
    await expect(t().sy.connectionKey(record)).rejects.toThrow();
  });

  describe("no key in any response, log line or audit row", () => {
    it("DESIGN Secrets: after a suite of create/update/profile calls (and failing ones), no key leaks", async () => {
      const user = await t().newUser();
      const other = await t().newUser();
      const org = (await call(user, "POST", "/api/orgs", { name: `Org ${tag()}` })).json<OrgView>();

      // Successful writes.
      const c = await create(user, { api_key: distinctive("CREATE") });
      await create(user, { provider_type: "openai", base_url: undefined, api_key: distinctive("OPENAI") });
      await create(user, { scope: "org", org_id: org.id, api_key: distinctive("ORGCONN") });
      await create(t().admin, { scope: "system", api_key: distinctive("SYSTEM") });
      for (const body of [
        { api_key: distinctive("UPDATE1") },
        { api_key: distinctive("UPDATE2"), model: "m" },
      ]) {
        const res = await call(user, "PUT", `/api/llm-providers/${c.id}`, body);
        expect(res.statusCode, res.body).toBe(200);
      }
      const profile = await call(other, "PUT", "/api/users/me/llm-profile", {
        provider: "openai-compatible",
        base_url: "https://llm.example.test/v1",
        api_key: distinctive("PROFILE1"),
      });
      expect(profile.statusCode, profile.body).toBe(200);
      expect((await call(other, "GET", "/api/users/me/llm-profile")).statusCode).toBe(200);
      expect((await call(user, "GET", "/api/llm-providers")).statusCode).toBe(200);
      expect((await call(user, "GET", `/api/llm-providers/${c.id}`)).statusCode).toBe(200);

      // Failing writes that carry a key: validation, conflict, SSRF, permission, not found.
      const failing: [TestUser, Method, string, Record<string, unknown>, number][] = [
        [
          user,
          "POST",
          "/api/llm-providers",
          { name: "x", provider_type: "mock", api_key: distinctive("MOCK") },
          422,
        ],
        [
          user,
          "POST",
          "/api/llm-providers",
          { ...publicBase, name: c.name, api_key: distinctive("DUP") },
          409,
        ],
        [
          user,
          "POST",
          "/api/llm-providers",
          {
            name: `s-${tag()}`,
            provider_type: "openai-compatible",
            base_url: "http://10.0.0.1",
            api_key: distinctive("SSRF"),
          },
          422,
        ],
        [
          user,
          "POST",
          "/api/llm-providers",
          { ...publicBase, name: `t-${tag()}`, timeout_seconds: 0, api_key: distinctive("TIMEOUT") },
          422,
        ],
        [
          user,
          "POST",
          "/api/llm-providers",
          { ...publicBase, name: `u-${tag()}`, scope: "system", api_key: distinctive("FORBID") },
          403,
        ],
        [other, "PUT", `/api/llm-providers/${c.id}`, { api_key: distinctive("NOTFOUND") }, 404],
        [user, "PUT", `/api/llm-providers/${c.id}`, { api_key: distinctive("EXTRA"), colour: "blue" }, 422],
        [other, "PUT", "/api/users/me/llm-profile", { provider: "mock", api_key: distinctive("PMOCK") }, 422],
        [
          other,
          "PUT",
          "/api/users/me/llm-profile",
          { provider: "openai-compatible", base_url: "http://127.0.0.1:1", api_key: distinctive("PSSRF") },
          422,
        ],
      ];
      for (const [who, method, url, payload, status] of failing) {
        const res = await call(who, method, url, payload);
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
      }
      // A body that is not JSON, with a key in it.
      const raw = await t().app.inject({
        method: "POST",
        url: "/api/llm-providers",
        headers: { ...user.headers, "content-type": "application/json" },
        payload: `{"name":"raw","api_key":"${distinctive("RAWJSON")}"`,
      });
      expect(raw.statusCode).toBe(400);

      const bodies = t().bodies();
      const logs = t().logs.text();
      const audit = JSON.stringify(await t().sy.db.selectFrom("audit_logs").selectAll().execute());
      expect(logs.length).toBeGreaterThan(0);
      expect(audit).toContain("connection.create");
      expect(sentKeys.length).toBeGreaterThan(15);
      for (const key of sentKeys) {
        expect(bodies, `a response body holds ${key}`).not.toContain(key);
        expect(logs, `a log line holds ${key}`).not.toContain(key);
        expect(audit, `an audit row holds ${key}`).not.toContain(key);
      }
      // Nor the ciphertexts.
      const ciphers = (await t().sy.db.selectFrom("llm_providers").select("api_key_encrypted").execute())
        .map((r) => r.api_key_encrypted)
        .filter((x): x is string => x !== null);
      expect(ciphers.length).toBeGreaterThan(0);
      for (const cipher of ciphers) {
        expect(bodies).not.toContain(cipher);
        expect(logs).not.toContain(cipher);
        expect(audit).not.toContain(cipher);
      }
      expect(bodies).not.toContain("api_key_encrypted");
    });
  });
});
