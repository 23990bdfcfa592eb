import { randomBytes, randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditLogPage, AuditLogView } from "../../src/domain/audit/audit.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Real: the whole HTTP app, the auth, API key, settings and audit services and a fresh database of
// each dialect, driven with inject. Nothing is faked. The suite's tests share the database, so
// each one acts out its own story (fresh users, a client address of its own, request ids of its
// own) and finds its entries by those, never by counting the whole log.

interface Problem {
  status: number;
  code: string;
  type: string;
  detail: string;
  request_id: string;
  errors?: { field: string; message: string }[];
}

interface TokenPairBody {
  user: { id: string; email: string; roles: string[] };
  access_token: string;
  refresh_token: string;
}

interface CreatedKeyBody {
  key: string;
  api_key: { id: string; name: string; prefix: string; scopes: string[] };
}

/** What one story did, with the request ids that name its entries. */
interface Story {
  user: TestUser;
  ip: string;
  userAgent: string;
  wrongPassword: string;
  apiKey: string;
  apiKeyId: string;
  apiKeyName: string;
  requestIds: { register: string; login: string; failed: string; createKey: string };
}

const tag = () => randomBytes(5).toString("hex");
/** An address from TEST-NET-3, different per story, so the per-address login throttle never trips. */
const testIp = () => `203.0.${randomInt(0, 256)}.${randomInt(1, 255)}`;

describeEachDialect("admin audit log routes", (dialect) => {
  const t = useTestApp(dialect);
  /** Every password, token and key the suite used: none may reach the audit log or the logs. */
  const secrets = new Set<string>();
  /** Every response body the audit route gave, for the same scan. */
  const auditBodies: string[] = [];

  function remember(user: TestUser): TestUser {
    for (const secret of [user.password, user.accessToken, user.refreshToken]) secrets.add(secret);
    return user;
  }

  async function newUser(options: { admin?: boolean } = {}): Promise<TestUser> {
    remember(t().admin);
    return remember(await t().newUser(options));
  }

  /** As the admin unless told otherwise; null sends no token at all. */
  async function auditLogs(query: string, user: TestUser | null = t().admin) {
    const res = await t().app.inject({
      method: "GET",
      url: `/api/admin/audit-logs${query === "" ? "" : `?${query}`}`,
      headers: user?.headers ?? {},
    });
    auditBodies.push(res.body);
    return res;
  }

  /** Every entry the query matches, newest first, paging with the largest page size. */
  async function allEntries(query = ""): Promise<AuditLogView[]> {
    const items: AuditLogView[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams(query);
      params.set("limit", "200");
      if (cursor !== null) params.set("cursor", cursor);
      const res = await auditLogs(params.toString());
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<AuditLogPage>();
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor !== null);
    return items;
  }

  function entryOf(entries: AuditLogView[], requestId: string, action: string): AuditLogView {
    const found = entries.filter((e) => e.request_id === requestId && e.action === action);
    expect(found, `${action} of ${requestId}`).toHaveLength(1);
    return found[0]!;
  }

  function expectProblem(
    res: { statusCode: number; body: string; json<T>(): T },
    status: number,
    code: string,
  ) {
    expect(res.statusCode, res.body).toBe(status);
    const body = res.json<Problem>();
    expect(body).toMatchObject({ status, code, type: `urn:switchyard:error:${code}` });
    return body;
  }

  async function setRegistration(value: "open" | null): Promise<void> {
    const res = await t().app.inject({
      method: value === null ? "DELETE" : "PUT",
      url: "/api/admin/settings/auth.registration",
      headers: t().admin.headers,
      ...(value === null ? {} : { payload: { value } }),
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  /**
   * A stranger registers (registration opened for the moment), signs in, fails a sign-in with a
   * wrong password, creates an API key and uses it; all from one address, each with a request id.
   */
  async function actOutStory(): Promise<Story> {
    const id = tag();
    const ip = testIp();
    const userAgent = `audit-test/${id}`;
    const requestIds = {
      register: `register-${id}`,
      login: `login-${id}`,
      failed: `failed-${id}`,
      createKey: `create-key-${id}`,
    };
    const email = `stranger-${id}@example.test`;
    const password = `pw-${tag()}-stranger`;
    const wrongPassword = `pw-${tag()}-wrong`;
    secrets.add(password).add(wrongPassword);
    const send = (
      method: "GET" | "POST",
      url: string,
      requestId: string,
      extra: { headers?: Record<string, string>; payload?: Record<string, unknown> } = {},
    ) =>
      t().app.inject({
        method,
        url,
        remoteAddress: ip,
        headers: { "x-request-id": requestId, "user-agent": userAgent, ...(extra.headers ?? {}) },
        ...(extra.payload === undefined ? {} : { payload: extra.payload }),
      });

    await setRegistration("open");
    let registered: TokenPairBody;
    try {
      const res = await send("POST", "/api/auth/register", requestIds.register, {
        payload: { email, password },
      });
      expect(res.statusCode, res.body).toBe(201);
      registered = res.json<TokenPairBody>();
    } finally {
      await setRegistration(null);
    }
    secrets.add(registered.access_token).add(registered.refresh_token);

    const login = await send("POST", "/api/auth/login", requestIds.login, { payload: { email, password } });
    expect(login.statusCode, login.body).toBe(200);
    const tokens = login.json<TokenPairBody>();
    secrets.add(tokens.access_token).add(tokens.refresh_token);
    const user: TestUser = {
      id: registered.user.id,
      email,
      password,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      headers: { authorization: `Bearer ${tokens.access_token}` },
    };

    const failed = await send("POST", "/api/auth/login", requestIds.failed, {
      payload: { email, password: wrongPassword },
    });
    expect(failed.statusCode, failed.body).toBe(401);

    const apiKeyName = `laptop ${id}`;
    const created = await send("POST", "/api/users/me/api-keys", requestIds.createKey, {
      headers: user.headers,
      payload: { name: apiKeyName },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json<CreatedKeyBody>();
    expect(key.key.startsWith("sy-")).toBe(true);
    secrets.add(key.key);

    // The key works, so it has travelled in a header too.
    const me = await send("GET", "/api/users/me", `use-key-${id}`, {
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(me.statusCode, me.body).toBe(200);

    return {
      user,
      ip,
      userAgent,
      wrongPassword,
      apiKey: key.key,
      apiKeyId: key.api_key.id,
      apiKeyName,
      requestIds,
    };
  }

  describe("happy paths", () => {
    it("records register, login, a failed login and an API key, with actor, ip and request id", async () => {
      const s = await actOutStory();
      const entries = await allEntries();

      const register = entryOf(entries, s.requestIds.register, "auth.register");
      expect(register).toEqual({
        id: expect.any(String),
        actor_id: s.user.id,
        actor_label: s.user.id,
        action: "auth.register",
        resource_type: "user",
        resource_id: s.user.id,
        details: { email: s.user.email, admin: false },
        ip: s.ip,
        user_agent: s.userAgent,
        request_id: s.requestIds.register,
        created_at: expect.any(String),
      });

      const login = entryOf(entries, s.requestIds.login, "auth.login");
      expect(login).toMatchObject({
        actor_id: s.user.id,
        actor_label: s.user.id,
        resource_type: "user",
        resource_id: s.user.id,
        ip: s.ip,
        user_agent: s.userAgent,
      });

      // Nobody is signed in on a failed login: no actor id, the label is the email tried.
      const failed = entryOf(entries, s.requestIds.failed, "auth.login_failed");
      expect(failed).toMatchObject({
        actor_id: null,
        actor_label: s.user.email,
        resource_type: "user",
        resource_id: s.user.id,
        details: { reason: "wrong_password" },
        ip: s.ip,
        user_agent: s.userAgent,
      });

      const key = entryOf(entries, s.requestIds.createKey, "api_key.create");
      expect(key).toMatchObject({
        actor_id: s.user.id,
        actor_label: s.user.id,
        resource_type: "api_key",
        resource_id: s.apiKeyId,
        details: { name: s.apiKeyName, prefix: expect.any(String), scopes: [] },
        ip: s.ip,
        user_agent: s.userAgent,
      });
      const prefix = String(key.details?.prefix);
      expect(s.apiKey.startsWith(prefix)).toBe(true);
      expect(prefix.length).toBeLessThan(s.apiKey.length);

      // Newest first: the story's entries come back in the reverse of the order they happened.
      const positions = [key, failed, login, register].map((e) => entries.indexOf(e));
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      for (const entry of [register, login, failed, key]) {
        expect(new Date(entry.created_at).toISOString()).toBe(entry.created_at);
      }
    });

    it("records a failed login for an unknown email with no actor and no resource", async () => {
      const email = `ghost-${tag()}@example.test`;
      const requestId = `ghost-${tag()}`;
      const password = `pw-${tag()}-ghost`;
      secrets.add(password);
      const res = await t().app.inject({
        method: "POST",
        url: "/api/auth/login",
        remoteAddress: testIp(),
        headers: { "x-request-id": requestId },
        payload: { email, password },
      });
      expect(res.statusCode).toBe(401);
      const entry = entryOf(await allEntries("action=auth.login_failed"), requestId, "auth.login_failed");
      expect(entry).toMatchObject({
        actor_id: null,
        actor_label: email,
        resource_id: null,
        details: { reason: "unknown_email" },
      });
    });
  });

  describe("filters", () => {
    it("filters by an exact action", async () => {
      const s = await actOutStory();
      const logins = await allEntries("action=auth.login");
      expect(logins.length).toBeGreaterThan(0);
      expect(logins.every((e) => e.action === "auth.login")).toBe(true);
      entryOf(logins, s.requestIds.login, "auth.login");
      // Exact means exact: not auth.login_failed, and a part of a name matches nothing.
      expect(logins.some((e) => e.request_id === s.requestIds.failed)).toBe(false);
      expect(await allEntries("action=auth.log")).toEqual([]);
      expect(await allEntries("action=auth")).toEqual([]);
    });

    it("filters by an action prefix ending in .*", async () => {
      const s = await actOutStory();
      const auth = await allEntries("action=auth.*");
      expect(auth.every((e) => e.action.startsWith("auth."))).toBe(true);
      entryOf(auth, s.requestIds.register, "auth.register");
      entryOf(auth, s.requestIds.login, "auth.login");
      entryOf(auth, s.requestIds.failed, "auth.login_failed");
      expect(auth.some((e) => e.request_id === s.requestIds.createKey)).toBe(false);

      const keys = await allEntries("action=api_key.*");
      expect(keys.every((e) => e.action.startsWith("api_key."))).toBe(true);
      entryOf(keys, s.requestIds.createKey, "api_key.create");
    });

    it("reads % and _ in an action filter literally, not as wildcards", async () => {
      await actOutStory();
      expect(await allEntries("action=%25.*")).toEqual([]);
      expect(await allEntries("action=auth.login%25")).toEqual([]);
      expect(await allEntries("action=auth.login_%25.*")).toEqual([]);
      expect(await allEntries("action=api%5Fkey.create")).toHaveLength(
        (await allEntries("action=api_key.create")).length,
      );
      expect(await allEntries("action=api.key.*")).toEqual([]);
      expect(await allEntries("action=api_key_*")).toEqual([]);
      expect(await allEntries("action=AUTH.*")).toEqual([]);
    });

    it("filters by actor_id", async () => {
      const s = await actOutStory();
      const other = await actOutStory();
      const mine = await allEntries(`actor_id=${s.user.id}`);
      expect(mine.every((e) => e.actor_id === s.user.id)).toBe(true);
      // The failed login has no actor, so it is not the user's; the rest of the story is.
      expect(mine.map((e) => e.action)).toEqual(["api_key.create", "auth.login", "auth.register"]);
      expect(mine.some((e) => e.request_id === other.requestIds.register)).toBe(false);
      expect(await allEntries(`actor_id=${tag()}`)).toEqual([]);
    });

    it("filters by resource_type, alone and with other filters", async () => {
      const s = await actOutStory();
      const keys = await allEntries("resource_type=api_key");
      expect(keys.every((e) => e.resource_type === "api_key")).toBe(true);
      entryOf(keys, s.requestIds.createKey, "api_key.create");

      const usersOfStory = await allEntries(`resource_type=user&actor_id=${s.user.id}`);
      expect(usersOfStory.map((e) => e.action)).toEqual(["auth.login", "auth.register"]);
      const byResource = await allEntries(`resource_type=api_key&resource_id=${s.apiKeyId}`);
      expect(byResource.map((e) => e.request_id)).toEqual([s.requestIds.createKey]);
    });
  });

  describe("time filters", () => {
    it("filters by from (inclusive) and to (exclusive)", async () => {
      const s = await actOutStory();
      const story = await allEntries(`actor_id=${s.user.id}`);
      const [key, login, register] = story;
      expect(story.map((e) => e.action)).toEqual(["api_key.create", "auth.login", "auth.register"]);
      const window = await allEntries(
        `actor_id=${s.user.id}&from=${register!.created_at}&to=${key!.created_at}`,
      );
      expect(window.map((e) => e.id)).toEqual([login!.id, register!.id]);
      const after = await allEntries(`actor_id=${s.user.id}&from=${key!.created_at}`);
      expect(after.map((e) => e.id)).toEqual([key!.id]);
      const before = await allEntries(`actor_id=${s.user.id}&to=${register!.created_at}`);
      expect(before).toEqual([]);
    });
  });

  describe("pagination", () => {
    it("walks every entry exactly once with limit=2, newest first", async () => {
      await actOutStory();
      const everything = await allEntries();
      expect(everything.length).toBeGreaterThan(4);

      const walked: AuditLogView[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await auditLogs(
          `limit=2${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
        );
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json<AuditLogPage>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        expect(page.items.length).toBeGreaterThan(0);
        walked.push(...page.items);
        cursor = page.next_cursor;
        pages += 1;
        expect(pages).toBeLessThanOrEqual(everything.length);
      } while (cursor !== null);

      const ids = walked.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(everything.map((e) => e.id));
      expect(pages).toBe(Math.ceil(everything.length / 2));
      // Newest first, ties broken by id, both descending.
      for (let i = 1; i < walked.length; i++) {
        const [prev, next] = [walked[i - 1]!, walked[i]!];
        const order =
          prev.created_at === next.created_at ? prev.id > next.id : prev.created_at > next.created_at;
        expect(order, `${prev.created_at} ${prev.id} before ${next.created_at} ${next.id}`).toBe(true);
      }
    });

    it("pages a filtered list with the same filter and ends with a null cursor", async () => {
      const s = await actOutStory();
      const first = await auditLogs(`actor_id=${s.user.id}&limit=2`);
      expect(first.statusCode).toBe(200);
      const page1 = first.json<AuditLogPage>();
      expect(page1.items.map((e) => e.action)).toEqual(["api_key.create", "auth.login"]);
      expect(page1.next_cursor).toEqual(expect.any(String));

      const second = await auditLogs(
        `actor_id=${s.user.id}&limit=2&cursor=${encodeURIComponent(page1.next_cursor ?? "")}`,
      );
      const page2 = second.json<AuditLogPage>();
      expect(page2.items.map((e) => e.action)).toEqual(["auth.register"]);
      expect(page2.next_cursor).toBeNull();

      const exact = await auditLogs(`actor_id=${s.user.id}&limit=3`);
      expect(exact.json<AuditLogPage>().next_cursor).toBeNull();
    });
  });

  describe("errors", () => {
    it("answers 422 for a limit out of range or not a number", async () => {
      for (const limit of ["0", "-1", "201", "abc", "1.5"]) {
        const problem = expectProblem(await auditLogs(`limit=${limit}`), 422, "validation_failed");
        expect(problem.errors?.[0]?.field, `limit=${limit}`).toMatch(/\/limit$/);
      }
    });

    it("answers 422 for a cursor this API did not write", async () => {
      const b64 = (value: string) => Buffer.from(value, "utf8").toString("base64url");
      const bad = [
        "not a cursor!",
        "garbage",
        b64("not json"),
        b64('{"x":1}'),
        b64("[1,2]"),
        b64('{"created_at":"yesterday","id":"0190a000-0000-7000-8000-000000000000"}'),
        b64('{"created_at":"2024-01-01","id":"0190a000-0000-7000-8000-000000000000"}'),
        b64('{"created_at":"2024-01-01T00:00:00.000Z","id":""}'),
        b64(`{"created_at":"2024-01-01T00:00:00.000Z","id":"${"9".repeat(37)}"}`),
        b64('{"created_at":"2024-01-01T00:00:00.000Z","id":1}'),
      ];
      for (const cursor of bad) {
        const problem = expectProblem(
          await auditLogs(`cursor=${encodeURIComponent(cursor)}`),
          422,
          "validation_failed",
        );
        expect(problem.errors?.[0]?.field, cursor).toMatch(/\/cursor$/);
      }
      // An empty and an overlong cursor fail the query schema itself.
      expectProblem(await auditLogs("cursor="), 422, "validation_failed");
      expectProblem(await auditLogs(`cursor=${"a".repeat(257)}`), 422, "validation_failed");
    });

    it("answers 422 for an unknown filter or a bad date", async () => {
      const unknown = expectProblem(await auditLogs("colour=red"), 422, "validation_failed");
      expect(unknown.errors?.[0]?.field).toMatch(/\/colour$/);
      const from = expectProblem(await auditLogs("from=last-tuesday"), 422, "validation_failed");
      expect(from.errors?.[0]?.field).toMatch(/\/from$/);
    });

    it("answers 401 without a token or with a garbage one", async () => {
      expectProblem(await auditLogs("", null), 401, "unauthorized");
      const garbage = { ...t().admin, headers: { authorization: "Bearer garbage" } };
      expectProblem(await auditLogs("", garbage), 401, "unauthorized");
      const wrongScheme = { ...t().admin, headers: { authorization: `Basic ${t().admin.accessToken}` } };
      expectProblem(await auditLogs("", wrongScheme), 401, "unauthorized");
    });
  });

  describe("security", () => {
    it("answers 403 to a non-admin, with an access token or an API key, whatever the query", async () => {
      const s = await actOutStory();
      const viaKey: TestUser = { ...s.user, headers: { authorization: `Bearer ${s.apiKey}` } };
      for (const user of [s.user, viaKey, await newUser()]) {
        for (const query of ["", `actor_id=${user.id}`, "action=auth.*", `resource_type=user&limit=200`]) {
          const res = await auditLogs(query, user);
          const problem = expectProblem(res, 403, "forbidden");
          expect(JSON.stringify(problem)).not.toContain(s.user.email);
        }
      }
    });

    it("lets another admin read the log", async () => {
      const admin2 = await newUser({ admin: true });
      const res = await auditLogs("limit=1", admin2);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<AuditLogPage>().items).toHaveLength(1);
    });

    it("redacts an API key or access token typed into the email field of a login", async () => {
      const s = await actOutStory();
      const typed = [s.apiKey, s.user.accessToken, `Bearer ${s.user.accessToken}`];
      const requestIds: string[] = [];
      for (const email of typed) {
        const requestId = `typed-secret-${tag()}`;
        requestIds.push(requestId);
        const res = await t().app.inject({
          method: "POST",
          url: "/api/auth/login",
          remoteAddress: testIp(),
          headers: { "x-request-id": requestId },
          payload: { email, password: s.user.password },
        });
        expect(res.statusCode, res.body).toBe(401);
      }
      const failed = await allEntries("action=auth.login_failed");
      const rows = await t()
        .sy.db.selectFrom("audit_logs")
        .selectAll()
        .where("request_id", "in", requestIds)
        .execute();
      expect(rows).toHaveLength(typed.length);
      for (const [i, requestId] of requestIds.entries()) {
        const entry = entryOf(failed, requestId, "auth.login_failed");
        const row = rows.find((r) => r.request_id === requestId);
        // The label keeps what was typed with the secret cut out, in any letter case: a secret
        // lowercased along with the email is still most of the secret.
        expect(entry.actor_label, `what was typed in #${i}`).toContain("[redacted]");
        for (const stored of [JSON.stringify(entry), JSON.stringify(row)]) {
          expect(stored.toLowerCase()).not.toContain(s.user.accessToken.toLowerCase());
          expect(stored.toLowerCase()).not.toContain(s.apiKey.toLowerCase());
        }
      }
    });

    it("never stores or logs a password, token or API key the suite used", async () => {
      const s = await actOutStory();
      const ip = testIp();

      // Secrets where they do not belong: typed into the email field of a login.
      for (const email of [s.apiKey, `Bearer ${s.user.accessToken}`, s.user.refreshToken]) {
        const res = await t().app.inject({
          method: "POST",
          url: "/api/auth/login",
          remoteAddress: ip,
          payload: { email, password: s.user.password },
        });
        expect(res.statusCode, res.body).toBe(401);
      }
      // A refresh token used, then replayed (which the log records as a reuse).
      const refreshed = await t().app.inject({
        method: "POST",
        url: "/api/auth/refresh",
        payload: { refresh_token: s.user.refreshToken },
      });
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      const pair = refreshed.json<TokenPairBody>();
      secrets.add(pair.access_token).add(pair.refresh_token);
      const replay = await t().app.inject({
        method: "POST",
        url: "/api/auth/refresh",
        payload: { refresh_token: s.user.refreshToken },
      });
      expect(replay.statusCode).toBe(401);
      // An admin-created user, an admin API key and a logout, for good measure.
      const other = await newUser();
      const adminKey = await t().app.inject({
        method: "POST",
        url: "/api/users/me/api-keys",
        headers: t().admin.headers,
        payload: { name: "admin key", scopes: ["act_as_user"] },
      });
      expect(adminKey.statusCode, adminKey.body).toBe(201);
      const serviceKey = adminKey.json<CreatedKeyBody>().key;
      secrets.add(serviceKey);
      const actAs = await t().app.inject({
        method: "PATCH",
        url: "/api/users/me",
        headers: { authorization: `Bearer ${serviceKey}`, "x-switchyard-user": other.email },
        payload: { display_name: "Acted for" },
      });
      expect(actAs.statusCode, actAs.body).toBe(200);
      const logout = await t().app.inject({
        method: "POST",
        url: "/api/auth/logout",
        headers: other.headers,
        payload: { refresh_token: other.refreshToken },
      });
      expect(logout.statusCode, logout.body).toBe(204);

      const entries = await allEntries();
      expect(entries.some((e) => e.action === "auth.refresh_token_reused")).toBe(true);
      expect(entries.filter((e) => e.action === "auth.login_failed" && e.ip === ip)).toHaveLength(3);

      const rows = await t().sy.db.selectFrom("audit_logs").selectAll().execute();
      expect(rows.length).toBe(entries.length);
      const places = {
        "audit log responses": auditBodies.join("\n"),
        logs: t().logs.text(),
        "audit_logs rows": JSON.stringify(rows),
      };
      expect(secrets.size).toBeGreaterThan(10);
      for (const [where, text] of Object.entries(places)) {
        expect(text.length, where).toBeGreaterThan(0);
        for (const secret of secrets) {
          expect(text.includes(secret), `a secret (${secret.slice(0, 6)}…) in ${where}`).toBe(false);
        }
        // No Switchyard API key of any kind, whether or not this suite knows it.
        expect(text, where).not.toMatch(/(?<![A-Za-z0-9])sy-[A-Za-z0-9_-]{20,}/);
      }
    });
  });
});
