import { v7 as uuidv7 } from "uuid";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type Actor,
  type RequestMeta,
  systemActor,
  type UserActor,
  userActor,
} from "../../src/domain/actor.js";
import { encodeAuditCursor } from "../../src/domain/audit/audit.cursor.js";
import { type AuditRepo, createAuditRepo } from "../../src/domain/audit/audit.repo.js";
import type { AuditLogQuery, AuditLogView } from "../../src/domain/audit/audit.schemas.js";
import { createAuditService } from "../../src/domain/audit/audit.service.js";
import { REDACTED } from "../../src/domain/audit/redact.js";
import { AppError } from "../../src/domain/errors.js";
import type { Logger } from "../../src/logger.js";
import { describeEachDialect, useMigratedDatabase } from "../support/databases.js";

// Real: the database of each dialect, the repo and the service. The logger is a recorder, so the
// tests can see what was logged. The last describe fakes the repo (it says so in its name) to make
// the insert fail on demand.

const OPENAI_KEY = "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2";
const PASSWORD = "hunter2-correct-horse";
const META: RequestMeta = { ip: "203.0.113.7", userAgent: "curl/8.5.0", requestId: "req-abc-123" };

interface LogRecorder {
  logger: Pick<Logger, "error">;
  calls: unknown[][];
}

function recordLogs(): LogRecorder {
  const calls: unknown[][] = [];
  const error = (...args: unknown[]) => void calls.push(args);
  return { logger: { error } as unknown as Pick<Logger, "error">, calls };
}

async function expectAppError(promise: Promise<unknown>, code: AppError["code"]): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDialect("audit service", (dialect) => {
  const ctx = useMigratedDatabase(dialect);
  let logs: LogRecorder;
  const service = () => createAuditService({ repo: createAuditRepo({ db: ctx().db }), logger: logs.logger });

  async function createUser(roles: readonly string[] = ["user"]): Promise<UserActor> {
    const id = uuidv7();
    await ctx()
      .db.insertInto("users")
      .values({ id, email: `${id}@example.test`, password_hash: null })
      .execute();
    return userActor(id, roles);
  }

  async function rawRows() {
    return ctx().db.selectFrom("audit_logs").selectAll().orderBy("id").execute();
  }

  /** Every page of a query, walked with the cursor; the ids in the order they came. */
  async function walk(actor: Actor, query: AuditLogQuery): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await service().list(actor, { ...query, ...(cursor === undefined ? {} : { cursor }) });
      pages += 1;
      expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 50);
      ids.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor ?? undefined;
      expect(pages).toBeLessThan(100);
    } while (cursor !== undefined);
    return { ids, pages };
  }

  let admin: UserActor;

  beforeEach(async () => {
    logs = recordLogs();
    await ctx().db.deleteFrom("audit_logs").execute();
    admin = await createUser(["admin"]);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("record stores the event with redacted details: no password or provider key in the row", async () => {
    const before = Date.now();
    await service().record(
      { ...admin, meta: META },
      {
        action: "connection.created",
        resourceType: "connection",
        resourceId: "conn-1",
        details: {
          name: "work openai",
          password: PASSWORD,
          upstream: { api_key: OPENAI_KEY, base_url: "https://api.openai.com/v1" },
          note: `created with ${OPENAI_KEY}`,
          headers: [{ Authorization: `Bearer ${OPENAI_KEY}` }],
        },
      },
    );

    const rows = await rawRows();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain(OPENAI_KEY);
    expect(stored).not.toContain("Zx9Yw8");
    expect(row).toMatchObject({
      actor_id: admin.userId,
      actor_label: admin.userId,
      action: "connection.created",
      resource_type: "connection",
      resource_id: "conn-1",
      ip: META.ip,
      user_agent: META.userAgent,
      request_id: META.requestId,
    });
    const details: unknown = typeof row.details === "string" ? JSON.parse(row.details) : row.details;
    expect(details).toEqual({
      name: "work openai",
      password: REDACTED,
      upstream: { api_key: REDACTED, base_url: "https://api.openai.com/v1" },
      note: `created with ${REDACTED}`,
      headers: [{ Authorization: REDACTED }],
    });
    const createdAt = new Date(row.created_at).getTime();
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(createdAt).toBeLessThanOrEqual(Date.now());
    expect(logs.calls).toEqual([]);
  });

  it("record without meta, resource id or details stores nulls", async () => {
    await service().record(admin, { action: "settings.read", resourceType: "setting" });
    const [row] = await rawRows();
    expect(row).toMatchObject({
      resource_id: null,
      details: null,
      ip: null,
      user_agent: null,
      request_id: null,
    });
  });

  it("record for a service key links the key's owner and names the key and the user in the label", async () => {
    const owner = await createUser(["admin"]);
    const user = await createUser();
    const apiKeyId = uuidv7();
    const actor: Actor = {
      kind: "user",
      userId: user.userId,
      roles: ["user"],
      via: "service_key",
      apiKeyId,
      onBehalfOf: { ownerId: owner.userId },
      meta: META,
    };
    await service().record(actor, { action: "connection.updated", resourceType: "connection" });
    const [row] = await rawRows();
    expect(row).toMatchObject({
      actor_id: owner.userId,
      actor_label: `${user.userId} via service key ${apiKeyId} for ${owner.userId}`,
    });
  });

  it("record for the system has no actor id and labels it system:<label>", async () => {
    await service().record(systemActor("cli", META), { action: "keys.rotated", resourceType: "keyring" });
    const [row] = await rawRows();
    expect(row).toMatchObject({ actor_id: null, actor_label: "system:cli", ip: META.ip });
  });

  it("recordAnonymous stores the label and meta it is given, with no actor id", async () => {
    await service().recordAnonymous({
      action: "auth.login_failed",
      resourceType: "user",
      actorLabel: "ada@example.test",
      meta: META,
      details: { email: "ada@example.test", password: PASSWORD },
    });
    await service().recordAnonymous({ action: "auth.login_failed", resourceType: "user" });

    const rows = await rawRows();
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
    expect(rows[0]).toMatchObject({
      actor_id: null,
      actor_label: "ada@example.test",
      ip: META.ip,
      user_agent: META.userAgent,
      request_id: META.requestId,
    });
    expect(rows[1]).toMatchObject({ actor_id: null, actor_label: null, ip: null, details: null });
  });

  it("recordAnonymous redacts a secret typed into the label", async () => {
    await service().recordAnonymous({
      action: "auth.login_failed",
      resourceType: "user",
      actorLabel: OPENAI_KEY,
    });
    const [row] = await rawRows();
    expect(row!.actor_label).toBe(REDACTED);
  });

  it("record cuts values longer than their columns instead of losing the row", async () => {
    await service().record(
      { ...admin, meta: { ip: "x".repeat(100), userAgent: "u".repeat(2000), requestId: "r".repeat(300) } },
      { action: "a".repeat(150), resourceType: "t".repeat(100), resourceId: "i".repeat(100) },
    );
    const [row] = await rawRows();
    expect(logs.calls).toEqual([]);
    expect(row!.user_agent).toHaveLength(500);
    expect(row!.request_id).toHaveLength(128);
    expect(row!.ip).toHaveLength(64);
    expect(row!.action).toHaveLength(100);
  });

  it("list returns the view shape, newest first", async () => {
    await service().record(
      { ...admin, meta: META },
      { action: "a.one", resourceType: "thing", resourceId: "1" },
    );
    await service().record(admin, { action: "a.two", resourceType: "thing", details: { n: 2 } });

    const page = await service().list(admin, {});
    expect(page.next_cursor).toBeNull();
    expect(page.items.map((i) => i.action)).toEqual(["a.two", "a.one"]);
    const [two, one] = page.items as [AuditLogView, AuditLogView];
    expect(two).toEqual({
      id: expect.any(String),
      actor_id: admin.userId,
      actor_label: admin.userId,
      action: "a.two",
      resource_type: "thing",
      resource_id: null,
      details: { n: 2 },
      ip: null,
      user_agent: null,
      request_id: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(one).toMatchObject({ details: null, resource_id: "1", ip: META.ip, request_id: META.requestId });
  });

  describe("filters", () => {
    let other: UserActor;

    beforeEach(async () => {
      other = await createUser(["admin"]);
      const audit = service();
      await audit.record(admin, { action: "auth.login", resourceType: "user", resourceId: admin.userId });
      await audit.record(admin, { action: "auth.logout", resourceType: "user", resourceId: admin.userId });
      await audit.record(other, { action: "auth.login", resourceType: "user", resourceId: other.userId });
      await audit.record(other, { action: "authz.denied", resourceType: "user", resourceId: other.userId });
      await audit.record(other, { action: "auth", resourceType: "user" });
      await audit.record(other, { action: "AUTH.login", resourceType: "user" });
      await audit.record(admin, { action: "api_key.created", resourceType: "api_key", resourceId: "k1" });
      await audit.record(admin, { action: "apiXkey.created", resourceType: "api_key", resourceId: "k2" });
      await audit.record(admin, {
        action: "connection.created",
        resourceType: "connection",
        resourceId: "c1",
      });
      await audit.record(systemActor("cli"), { action: "connection.tested", resourceType: "connection" });
    });

    async function actions(query: AuditLogQuery): Promise<string[]> {
      const page = await service().list(admin, query);
      return page.items.map((i) => i.action).sort();
    }

    it("by actor", async () => {
      expect(await actions({ actor_id: other.userId })).toEqual([
        "AUTH.login",
        "auth",
        "auth.login",
        "authz.denied",
      ]);
      expect(await actions({ actor_id: uuidv7() })).toEqual([]);
    });

    it("by exact action", async () => {
      expect(await actions({ action: "auth.login" })).toEqual(["auth.login", "auth.login"]);
      expect(await actions({ action: "auth" })).toEqual(["auth"]);
    });

    it("by action prefix ending in .*, case-sensitively and with no LIKE wildcards", async () => {
      expect(await actions({ action: "auth.*" })).toEqual(["auth.login", "auth.login", "auth.logout"]);
      expect(await actions({ action: "api_key.*" })).toEqual(["api_key.created"]);
      expect(await actions({ action: "connection.*" })).toEqual(["connection.created", "connection.tested"]);
      expect(await actions({ action: "nothing.*" })).toEqual([]);
    });

    it("by resource type and id", async () => {
      expect(await actions({ resource_type: "connection" })).toEqual([
        "connection.created",
        "connection.tested",
      ]);
      expect(await actions({ resource_type: "api_key", resource_id: "k2" })).toEqual(["apiXkey.created"]);
      expect(await actions({ resource_id: admin.userId })).toEqual(["auth.login", "auth.logout"]);
    });

    it("combined", async () => {
      expect(await actions({ actor_id: admin.userId, action: "auth.*", resource_type: "user" })).toEqual([
        "auth.login",
        "auth.logout",
      ]);
    });
  });

  it("by time range: from inclusive, to exclusive", async () => {
    const audit = service();
    for (const action of ["t.one", "t.two", "t.three"]) {
      await audit.record(admin, { action, resourceType: "thing" });
      await sleep(15);
    }
    const all = (await audit.list(admin, {})).items;
    const at = Object.fromEntries(all.map((i) => [i.action, i.created_at]));
    const actions = async (query: AuditLogQuery) =>
      (await audit.list(admin, query)).items.map((i) => i.action);

    expect(await actions({ from: at["t.two"] })).toEqual(["t.three", "t.two"]);
    expect(await actions({ to: at["t.three"] })).toEqual(["t.two", "t.one"]);
    expect(await actions({ from: at["t.two"], to: at["t.three"] })).toEqual(["t.two"]);
    expect(await actions({ from: "2000-01-01T00:00:00Z", to: "2000-01-02T00:00:00Z" })).toEqual([]);
    // An offset other than Z names the same instant.
    const twoAt = new Date(at["t.two"]!);
    const offset = new Date(twoAt.getTime() + 2 * 3600_000).toISOString().replace("Z", "+02:00");
    expect(await actions({ from: offset })).toEqual(["t.three", "t.two"]);
  });

  it("cursor pagination walks every row exactly once, newest first, ties broken by id", async () => {
    const audit = service();
    vi.useFakeTimers({ toFake: ["Date"] });
    // Three instants, several rows on each, so created_at ties and only the id orders them.
    const instants = ["2025-03-01T10:00:00.000Z", "2025-03-01T10:00:00.001Z", "2025-03-01T10:00:05.000Z"];
    const recorded: string[] = [];
    for (const [n, instant] of instants.entries()) {
      vi.setSystemTime(new Date(instant));
      for (let i = 0; i < 3 + n; i++) {
        await audit.record(admin, { action: `page.${n}.${i}`, resourceType: "thing" });
      }
    }
    vi.useRealTimers();
    const rows = await ctx().db.selectFrom("audit_logs").select(["id", "created_at"]).execute();
    for (const row of rows) recorded.push(row.id);
    expect(recorded).toHaveLength(12);

    // The order the API promises: created_at desc, then id desc.
    const expected = rows
      .map((r) => ({ id: r.id, at: new Date(r.created_at).getTime() }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((r) => r.id);

    for (const limit of [1, 2, 5, 12, 200]) {
      const { ids, pages } = await walk(admin, { limit });
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(12);
      expect(pages).toBe(Math.max(1, Math.ceil(12 / limit)));
    }

    // With a filter the cursor walks only the matching rows.
    const { ids } = await walk(admin, { action: "page.2.*", limit: 2 });
    expect(ids).toHaveLength(5);
    expect(ids).toEqual(expected.slice(0, 5));
  });

  it("a page of exactly the remaining rows says there is no next page", async () => {
    for (let i = 0; i < 4; i++) await service().record(admin, { action: `n.${i}`, resourceType: "thing" });
    const first = await service().list(admin, { limit: 2 });
    expect(first.next_cursor).not.toBeNull();
    const second = await service().list(admin, { limit: 2, cursor: first.next_cursor! });
    expect(second.items).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
  });

  it("limit defaults to 50", async () => {
    const rows = Array.from({ length: 55 }, () => ({
      id: uuidv7(),
      action: "bulk.row",
      resource_type: "thing",
      created_at: new Date(),
    }));
    await ctx().db.insertInto("audit_logs").values(rows).execute();
    const page = await service().list(admin, {});
    expect(page.items).toHaveLength(50);
    expect(page.next_cursor).not.toBeNull();
  });

  it("a cursor that is not one the API returned is validation_failed", async () => {
    await service().record(admin, { action: "x", resourceType: "thing" });
    const b64 = (text: string) => Buffer.from(text).toString("base64url");
    for (const cursor of [
      "not base64!",
      b64("not json"),
      b64("{}"),
      b64("[]"),
      b64(JSON.stringify({ created_at: "yesterday", id: uuidv7() })),
      b64(JSON.stringify({ created_at: new Date().toISOString(), id: 42 })),
      b64(JSON.stringify({ created_at: new Date().toISOString(), id: "x".repeat(37) })),
    ]) {
      const error = await expectAppError(service().list(admin, { cursor }), "validation_failed");
      expect(error.issues).toEqual([{ field: "/cursor", message: expect.any(String) }]);
    }
    // A well-formed cursor for a position past every row is simply an empty page.
    const past = encodeAuditCursor({ createdAt: new Date("2000-01-01T00:00:00Z"), id: uuidv7() });
    expect(await service().list(admin, { cursor: past })).toEqual({ items: [], next_cursor: null });
  });

  it("a bad limit, date or unknown filter from a library caller is validation_failed with the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ limit: 0 }, "/limit"],
      [{ limit: 201 }, "/limit"],
      [{ limit: 1.5 }, "/limit"],
      [{ from: "last tuesday" }, "/from"],
      [{ to: "2025-13-01T00:00:00Z" }, "/to"],
      [{ actor: "x" }, "/actor"],
    ];
    for (const [query, field] of cases) {
      const error = await expectAppError(service().list(admin, query as AuditLogQuery), "validation_failed");
      expect(error.issues.map((i) => i.field)).toContain(field);
    }
  });

  it("list is forbidden to a non-admin and allowed to the system", async () => {
    const user = await createUser(["user"]);
    await service().record(user, { action: "x", resourceType: "thing" });
    await expectAppError(service().list(user, {}), "forbidden");
    // Forbidden comes before any look at the query.
    await expectAppError(service().list(user, { cursor: "garbage!" }), "forbidden");
    expect((await service().list(systemActor("cli"), {})).items).toHaveLength(1);
  });

  it("deleting a user keeps their audit rows, with actor_id null and the label kept", async () => {
    const user = await createUser(["user"]);
    await service().record(user, { action: "profile.updated", resourceType: "profile" });
    await service().record(user, { action: "connection.created", resourceType: "connection" });
    await ctx().db.deleteFrom("users").where("id", "=", user.userId).execute();

    const rows = await rawRows();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ actor_id: null, actor_label: user.userId });
    expect((await service().list(admin, { actor_id: user.userId })).items).toEqual([]);
  });

  it("record for a user who no longer exists keeps the row without the link, and logs nothing", async () => {
    const gone = userActor(uuidv7(), ["user"]);
    await service().record(gone, {
      action: "account.deleted",
      resourceType: "user",
      resourceId: gone.userId,
    });
    const rows = await rawRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: null, actor_label: gone.userId, action: "account.deleted" });
    expect(logs.calls).toEqual([]);
  });
});

describe("audit service with a fake repo whose insert throws", () => {
  function failingService() {
    const logs = recordLogs();
    let inserts = 0;
    const repo: Pick<AuditRepo, "insert" | "list"> = {
      insert: async () => {
        inserts += 1;
        throw new Error("connection refused");
      },
      list: async () => ({ items: [], next: null }),
    };
    return { audit: createAuditService({ repo, logger: logs.logger }), logs, inserts: () => inserts };
  }

  it("record swallows the failure and logs it once, without the details", async () => {
    const { audit, logs, inserts } = failingService();
    await expect(
      audit.record(userActor(uuidv7(), ["admin"]), {
        action: "connection.created",
        resourceType: "connection",
        details: { password: PASSWORD, note: "visible" },
      }),
    ).resolves.toBeUndefined();
    // Tried once with the actor, once without (in case the actor was the problem).
    expect(inserts()).toBe(2);
    expect(logs.calls).toHaveLength(1);
    const [fields, message] = logs.calls[0] as [Record<string, unknown>, string];
    expect(message).toMatch(/audit/);
    expect(fields).toMatchObject({ action: "connection.created", resource_type: "connection" });
    expect((fields.err as Error).message).toBe("connection refused");
    expect(JSON.stringify(logs.calls)).not.toContain(PASSWORD);
    expect(JSON.stringify(logs.calls)).not.toContain("visible");
  });

  it("recordAnonymous and a system record swallow the failure too, trying once", async () => {
    const { audit, logs, inserts } = failingService();
    await expect(audit.recordAnonymous({ action: "auth.login_failed", resourceType: "user" })).resolves.toBe(
      undefined,
    );
    await expect(
      audit.record(systemActor("cli"), { action: "x", resourceType: "y" }),
    ).resolves.toBeUndefined();
    expect(inserts()).toBe(2);
    expect(logs.calls).toHaveLength(2);
  });
});
