import type { Insertable, Kysely } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { describe, expect, it } from "vitest";
import { constraintViolation } from "../../src/db/errors.js";
import type { Database, LlmProvidersTable } from "../../src/db/schema.js";
import { toBool, toDate } from "../../src/db/values.js";
import { describeEachDialect, useMigratedDatabase } from "../support/databases.js";

/**
 * The rules the schema itself enforces, proven by writing straight to the database with Kysely (no
 * app code in between). MySQL/MariaDB cannot roll DDL or a failed statement's test back, so every
 * test makes its own users, orgs and names instead of relying on rollbacks.
 */

type Db = Kysely<Database>;

/** A value outside a column's TypeScript type, for proving the database refuses it too. */
const invalid = (value: string): never => value as never;

/** Runs a write that must fail and returns the kind of constraint the database said it broke. */
async function violation(write: Promise<unknown>): Promise<string> {
  try {
    await write;
  } catch (error) {
    return constraintViolation(error) ?? `unrecognized error: ${String(error)}`;
  }
  return "no error: the database accepted the write";
}

const unique = () => uuidv7().replaceAll("-", "").slice(-12);

async function newUser(db: Db): Promise<string> {
  const id = uuidv7();
  await db
    .insertInto("users")
    .values({ id, email: `u-${unique()}@example.test` })
    .execute();
  return id;
}

async function newOrg(db: Db): Promise<string> {
  const id = uuidv7();
  const slug = `org-${unique()}`;
  await db.insertInto("organizations").values({ id, name: slug, slug }).execute();
  return id;
}

type Owner = { scope: "user"; userId: string } | { scope: "org"; orgId: string } | { scope: "system" };

const ownerColumns = (owner: Owner) => ({
  scope: owner.scope,
  user_id: owner.scope === "user" ? owner.userId : null,
  org_id: owner.scope === "org" ? owner.orgId : null,
});

type ConnectionValues = Partial<Insertable<LlmProvidersTable>>;

function insertConnection(db: Db, owner: Owner | null, values: ConnectionValues = {}) {
  return db
    .insertInto("llm_providers")
    .values({
      id: uuidv7(),
      ...(owner ? ownerColumns(owner) : { scope: "system" }),
      name: `conn-${unique()}`,
      provider_type: "openai",
      is_default: false,
      ...values,
    })
    .execute();
}

async function newConnection(db: Db, owner: Owner, values: ConnectionValues = {}): Promise<string> {
  const id = uuidv7();
  await insertConnection(db, owner, { ...values, id });
  return id;
}

const countWhere = async (
  db: Db,
  table: "llm_providers" | "memberships",
  column: "user_id" | "org_id",
  value: string,
) => {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where(column, "=", value)
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

describeEachDialect("database constraints", (dialect) => {
  const ctx = useMigratedDatabase(dialect);
  const db = () => ctx().db;

  describe("one default connection per owner", () => {
    const cases: { label: string; owner: () => Promise<Owner> }[] = [
      { label: "a user", owner: async () => ({ scope: "user", userId: await newUser(db()) }) },
      { label: "an org", owner: async () => ({ scope: "org", orgId: await newOrg(db()) }) },
    ];

    for (const { label, owner: makeOwner } of cases) {
      it(`a second default connection for ${label} is refused on INSERT`, async () => {
        const owner = await makeOwner();
        await newConnection(db(), owner, { is_default: true });
        expect(await violation(insertConnection(db(), owner, { is_default: true }))).toBe("unique");
        expect(
          await countWhere(
            db(),
            "llm_providers",
            owner.scope === "user" ? "user_id" : "org_id",
            ownerId(owner),
          ),
        ).toBe(1);
      });

      it(`setting a second connection of ${label} as default by UPDATE is refused`, async () => {
        const owner = await makeOwner();
        await newConnection(db(), owner, { is_default: true });
        const other = await newConnection(db(), owner, { is_default: false });
        expect(
          await violation(
            db().updateTable("llm_providers").set({ is_default: true }).where("id", "=", other).execute(),
          ),
        ).toBe("unique");
        const row = await db()
          .selectFrom("llm_providers")
          .select("is_default")
          .where("id", "=", other)
          .executeTakeFirstOrThrow();
        expect(toBool(row.is_default)).toBe(false);
      });
    }

    it("a second default connection for the system scope is refused on INSERT and UPDATE", async () => {
      const first = await newConnection(db(), { scope: "system" }, { is_default: true });
      const other = await newConnection(db(), { scope: "system" }, { is_default: false });
      try {
        const row = await db()
          .selectFrom("llm_providers")
          .select(["user_id", "org_id", "owner_key"])
          .where("id", "=", first)
          .executeTakeFirstOrThrow();
        expect(row).toEqual({ user_id: null, org_id: null, owner_key: "system" });

        expect(await violation(insertConnection(db(), { scope: "system" }, { is_default: true }))).toBe(
          "unique",
        );
        expect(
          await violation(
            db().updateTable("llm_providers").set({ is_default: true }).where("id", "=", other).execute(),
          ),
        ).toBe("unique");
        // Moving the default inside one owner still works: unset, then set.
        await db().updateTable("llm_providers").set({ is_default: false }).where("id", "=", first).execute();
        await db().updateTable("llm_providers").set({ is_default: true }).where("id", "=", other).execute();
      } finally {
        // The system scope is shared by the whole suite: leave it empty.
        await db().deleteFrom("llm_providers").where("scope", "=", "system").execute();
      }
    });

    it("two owners may each have a default connection", async () => {
      const alice = await newUser(db());
      const bob = await newUser(db());
      const org = await newOrg(db());
      await newConnection(db(), { scope: "user", userId: alice }, { is_default: true, name: "main" });
      await newConnection(db(), { scope: "user", userId: bob }, { is_default: true, name: "main" });
      await newConnection(db(), { scope: "org", orgId: org }, { is_default: true, name: "main" });
      const defaults = await db()
        .selectFrom("llm_providers")
        .select("owner_key")
        .where("owner_key", "in", [`user:${alice}`, `user:${bob}`, `org:${org}`])
        .where("is_default", "=", true)
        .execute();
      expect(defaults).toHaveLength(3);
    });

    it("an owner may have many non-default connections", async () => {
      const userId = await newUser(db());
      const owner: Owner = { scope: "user", userId };
      await newConnection(db(), owner, { is_default: true });
      for (let i = 0; i < 4; i++) await newConnection(db(), owner, { is_default: false });
      expect(await countWhere(db(), "llm_providers", "user_id", userId)).toBe(5);
    });
  });

  describe("connection names", () => {
    it("a duplicate connection name for the same owner is refused", async () => {
      const userId = await newUser(db());
      const orgId = await newOrg(db());
      await newConnection(db(), { scope: "user", userId }, { name: "work" });
      expect(await violation(insertConnection(db(), { scope: "user", userId }, { name: "work" }))).toBe(
        "unique",
      );
      await newConnection(db(), { scope: "org", orgId }, { name: "shared" });
      expect(await violation(insertConnection(db(), { scope: "org", orgId }, { name: "shared" }))).toBe(
        "unique",
      );
    });

    it("a duplicate system connection name is refused", async () => {
      const name = `sys-${unique()}`;
      try {
        await newConnection(db(), { scope: "system" }, { name });
        expect(await violation(insertConnection(db(), { scope: "system" }, { name }))).toBe("unique");
      } finally {
        await db().deleteFrom("llm_providers").where("scope", "=", "system").execute();
      }
    });

    it("the same connection name for different owners is fine", async () => {
      const name = `same-${unique()}`;
      const alice = await newUser(db());
      const bob = await newUser(db());
      const org = await newOrg(db());
      try {
        await newConnection(db(), { scope: "user", userId: alice }, { name });
        await newConnection(db(), { scope: "user", userId: bob }, { name });
        await newConnection(db(), { scope: "org", orgId: org }, { name });
        await newConnection(db(), { scope: "system" }, { name });
        const rows = await db().selectFrom("llm_providers").select("id").where("name", "=", name).execute();
        expect(rows).toHaveLength(4);
      } finally {
        await db().deleteFrom("llm_providers").where("scope", "=", "system").execute();
      }
    });
  });

  describe("the same rules in every dialect (MariaDB collations, SQLite primary keys)", () => {
    it("closed sets compare case-sensitively: 'OpenAI' and 'info' are refused", async () => {
      const userId = await newUser(db());
      expect(
        await violation(insertConnection(db(), { scope: "user", userId }, { provider_type: "OpenAI" })),
      ).toBe("check");
      expect(
        await violation(
          db()
            .insertInto("system_logs")
            .values({ id: uuidv7(), level: invalid("info"), message: "m" })
            .execute(),
        ),
      ).toBe("check");
    });

    it("connection names that differ only in case are two connections", async () => {
      const userId = await newUser(db());
      await newConnection(db(), { scope: "user", userId }, { name: "Work" });
      await newConnection(db(), { scope: "user", userId }, { name: "work" });
      expect(await countWhere(db(), "llm_providers", "user_id", userId)).toBe(2);
    });

    it("a NULL primary key is refused", async () => {
      expect(
        await violation(
          db()
            .insertInto("users")
            .values({ id: null as unknown as string, email: `n-${unique()}@example.test` })
            .execute(),
        ),
      ).toBe("not_null");
    });

    it("a connection naming both a user and an org is refused", async () => {
      const userId = await newUser(db());
      const orgId = await newOrg(db());
      for (const scope of ["user", "org"] as const) {
        expect(
          await violation(
            db()
              .insertInto("llm_providers")
              .values({
                id: uuidv7(),
                scope,
                user_id: userId,
                org_id: orgId,
                name: `both-${unique()}`,
                provider_type: "openai",
              })
              .execute(),
          ),
        ).toBe("check");
      }
    });
  });

  describe("connection column checks", () => {
    it("provider_type 'mock' is refused", async () => {
      const userId = await newUser(db());
      expect(
        await violation(insertConnection(db(), { scope: "user", userId }, { provider_type: "mock" })),
      ).toBe("check");
    });

    it("an unknown provider_type is refused", async () => {
      const userId = await newUser(db());
      expect(
        await violation(
          insertConnection(db(), { scope: "user", userId }, { provider_type: "no-such-provider" }),
        ),
      ).toBe("check");
    });

    it("every documented provider_type is accepted", async () => {
      const userId = await newUser(db());
      const types = [
        "openai",
        "openai-compatible",
        "anthropic",
        "google",
        "ollama",
        "deepseek",
        "litellm",
        "azure-openai",
      ];
      for (const provider_type of types)
        await newConnection(db(), { scope: "user", userId }, { provider_type });
      expect(await countWhere(db(), "llm_providers", "user_id", userId)).toBe(types.length);
    });

    it("health_status outside unknown|ok|failed is refused", async () => {
      const userId = await newUser(db());
      const owner: Owner = { scope: "user", userId };
      expect(await violation(insertConnection(db(), owner, { health_status: invalid("broken") }))).toBe(
        "check",
      );
      const id = await newConnection(db(), owner);
      const row = await db()
        .selectFrom("llm_providers")
        .select("health_status")
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(row.health_status).toBe("unknown");
      for (const health_status of ["ok", "failed"] as const) {
        await db().updateTable("llm_providers").set({ health_status }).where("id", "=", id).execute();
      }
      expect(
        await violation(
          db()
            .updateTable("llm_providers")
            .set({ health_status: invalid("degraded") })
            .where("id", "=", id)
            .execute(),
        ),
      ).toBe("check");
    });

    it("timeout_seconds of 0 or less is refused (default 60)", async () => {
      const userId = await newUser(db());
      const owner: Owner = { scope: "user", userId };
      expect(await violation(insertConnection(db(), owner, { timeout_seconds: 0 }))).toBe("check");
      expect(await violation(insertConnection(db(), owner, { timeout_seconds: -5 }))).toBe("check");
      const id = await newConnection(db(), owner);
      const row = await db()
        .selectFrom("llm_providers")
        .select("timeout_seconds")
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(Number(row.timeout_seconds)).toBe(60);
      await newConnection(db(), owner, { timeout_seconds: 1 });
    });

    it("a scope that does not match the owner columns is refused", async () => {
      const userId = await newUser(db());
      const orgId = await newOrg(db());
      const write = (values: ConnectionValues) => insertConnection(db(), null, values);
      // scope 'user' with no user_id
      expect(await violation(write({ scope: "user", user_id: null, org_id: null }))).toBe("check");
      // scope 'system' with a user_id, or with an org_id
      expect(await violation(write({ scope: "system", user_id: userId, org_id: null }))).toBe("check");
      expect(await violation(write({ scope: "system", user_id: null, org_id: orgId }))).toBe("check");
      // scope 'org' with no org_id, or with a user_id as well
      expect(await violation(write({ scope: "org", user_id: null, org_id: null }))).toBe("check");
      expect(await violation(write({ scope: "org", user_id: userId, org_id: orgId }))).toBe("check");
      // scope 'user' with an org_id as well
      expect(await violation(write({ scope: "user", user_id: userId, org_id: orgId }))).toBe("check");
      // an unknown scope
      expect(await violation(write({ scope: invalid("team"), user_id: userId, org_id: null }))).toBe("check");
      expect(await countWhere(db(), "llm_providers", "user_id", userId)).toBe(0);
      expect(await countWhere(db(), "llm_providers", "org_id", orgId)).toBe(0);
    });
  });

  it("owner_key is computed by the database from the owner columns", async () => {
    const userId = await newUser(db());
    const orgId = await newOrg(db());
    const userConn = await newConnection(db(), { scope: "user", userId });
    const orgConn = await newConnection(db(), { scope: "org", orgId });
    const systemConn = await newConnection(db(), { scope: "system" });
    try {
      const rows = await db()
        .selectFrom("llm_providers")
        .select(["id", "owner_key"])
        .where("id", "in", [userConn, orgConn, systemConn])
        .execute();
      const keyOf = (id: string) => rows.find((r) => r.id === id)?.owner_key;
      expect(keyOf(userConn)).toBe(`user:${userId}`);
      expect(keyOf(orgConn)).toBe(`org:${orgId}`);
      expect(keyOf(systemConn)).toBe("system");
    } finally {
      await db().deleteFrom("llm_providers").where("id", "=", systemConn).execute();
    }
  });

  describe("unique keys", () => {
    it("users.email is unique", async () => {
      const email = `dup-${unique()}@example.test`;
      await db().insertInto("users").values({ id: uuidv7(), email }).execute();
      expect(await violation(db().insertInto("users").values({ id: uuidv7(), email }).execute())).toBe(
        "unique",
      );
    });

    it("settings.key is unique", async () => {
      const key = `test.setting.${unique()}`;
      await db().insertInto("settings").values({ id: uuidv7(), key, value: "1" }).execute();
      expect(
        await violation(db().insertInto("settings").values({ id: uuidv7(), key, value: "2" }).execute()),
      ).toBe("unique");
    });

    it("plugins.slug is unique", async () => {
      const slug = `plugin-${unique()}`;
      const plugin = () => ({ id: uuidv7(), name: "A plugin", slug, version: "1.0.0" });
      await db().insertInto("plugins").values(plugin()).execute();
      expect(await violation(db().insertInto("plugins").values(plugin()).execute())).toBe("unique");
    });
  });

  describe("closed value sets", () => {
    it("users.status refuses anything but active|disabled", async () => {
      const id = await newUser(db());
      const row = await db()
        .selectFrom("users")
        .select("status")
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe("active");
      await db().updateTable("users").set({ status: "disabled" }).where("id", "=", id).execute();
      expect(
        await violation(
          db()
            .insertInto("users")
            .values({ id: uuidv7(), email: `s-${unique()}@example.test`, status: invalid("banned") })
            .execute(),
        ),
      ).toBe("check");
      expect(
        await violation(
          db()
            .updateTable("users")
            .set({ status: invalid("deleted") })
            .where("id", "=", id)
            .execute(),
        ),
      ).toBe("check");
    });

    it("generation_jobs.status refuses anything but queued|running|completed|failed|cancelled", async () => {
      const userId = await newUser(db());
      const job = (values: { status?: string; progress?: number } = {}) =>
        db()
          .insertInto("generation_jobs")
          .values({
            id: uuidv7(),
            user_id: userId,
            kind: "test",
            ...(values.status === undefined ? {} : { status: invalid(values.status) }),
            ...(values.progress === undefined ? {} : { progress: values.progress }),
          })
          .execute();
      for (const status of ["queued", "running", "completed", "failed", "cancelled"]) await job({ status });
      expect(await violation(job({ status: "paused" }))).toBe("check");
    });

    it("generation_jobs.progress must be within 0..100", async () => {
      const userId = await newUser(db());
      const job = (progress: number) =>
        db()
          .insertInto("generation_jobs")
          .values({ id: uuidv7(), user_id: userId, kind: "test", progress })
          .execute();
      await job(0);
      await job(100);
      expect(await violation(job(-1))).toBe("check");
      expect(await violation(job(101))).toBe("check");
    });

    it("system_logs.level refuses anything but DEBUG|INFO|WARN|ERROR", async () => {
      const log = (level: string) =>
        db()
          .insertInto("system_logs")
          .values({ id: uuidv7(), level: invalid(level), message: "m" })
          .execute();
      for (const level of ["DEBUG", "INFO", "WARN", "ERROR"]) await log(level);
      expect(await violation(log("TRACE"))).toBe("check");
      expect(await violation(log("FATAL"))).toBe("check");
    });

    it("memberships.role refuses anything but owner|admin|member", async () => {
      const orgId = await newOrg(db());
      const member = async (role: string) =>
        db()
          .insertInto("memberships")
          .values({ org_id: orgId, user_id: await newUser(db()), role: invalid(role) })
          .execute();
      for (const role of ["owner", "admin", "member"]) await member(role);
      expect(await violation(member("superuser"))).toBe("check");
    });
  });

  describe("deletes", () => {
    it("deleting a user removes everything the user owns and keeps its audit entries with actor_id NULL", async () => {
      const d = db();
      const userId = await newUser(d);
      const bystander = await newUser(d);
      const orgId = await newOrg(d);
      const role = await d
        .selectFrom("roles")
        .select("id")
        .where("name", "=", "user")
        .executeTakeFirstOrThrow();

      const seed = async (uid: string) => {
        await d.insertInto("profiles").values({ user_id: uid, display_name: "Someone" }).execute();
        await d.insertInto("user_roles").values({ user_id: uid, role_id: role.id }).execute();
        const familyId = uuidv7();
        await d.insertInto("session_families").values({ id: familyId, user_id: uid }).execute();
        await d
          .insertInto("sessions")
          .values({
            id: uuidv7(),
            user_id: uid,
            family_id: familyId,
            refresh_token_hash: `hash-${unique()}`,
            expires_at: new Date(Date.now() + 3_600_000),
          })
          .execute();
        const apiKeyId = uuidv7();
        await d
          .insertInto("api_keys")
          .values({ id: apiKeyId, user_id: uid, name: "k", key_hash: `kh-${unique()}`, prefix: "sy-abc" })
          .execute();
        await d.insertInto("memberships").values({ org_id: orgId, user_id: uid, role: "member" }).execute();
        const connectionId = await newConnection(d, { scope: "user", userId: uid }, { is_default: true });
        await d.insertInto("generation_jobs").values({ id: uuidv7(), user_id: uid, kind: "test" }).execute();
        await d
          .insertInto("usage_records")
          .values({
            id: uuidv7(),
            user_id: uid,
            api_key_id: apiKeyId,
            connection_id: connectionId,
            endpoint: "chat",
            status_code: 200,
          })
          .execute();
        const auditId = uuidv7();
        await d
          .insertInto("audit_logs")
          .values({
            id: auditId,
            actor_id: uid,
            actor_label: "someone",
            action: "test.action",
            resource_type: "test",
          })
          .execute();
        return auditId;
      };
      const auditId = await seed(userId);
      const bystanderAuditId = await seed(bystander);

      const owned = async (uid: string) => ({
        users: (await d.selectFrom("users").select("id").where("id", "=", uid).execute()).length,
        profiles: (await d.selectFrom("profiles").select("user_id").where("user_id", "=", uid).execute())
          .length,
        user_roles: (await d.selectFrom("user_roles").select("user_id").where("user_id", "=", uid).execute())
          .length,
        sessions: (await d.selectFrom("sessions").select("id").where("user_id", "=", uid).execute()).length,
        session_families: (
          await d.selectFrom("session_families").select("id").where("user_id", "=", uid).execute()
        ).length,
        api_keys: (await d.selectFrom("api_keys").select("id").where("user_id", "=", uid).execute()).length,
        memberships: (
          await d.selectFrom("memberships").select("user_id").where("user_id", "=", uid).execute()
        ).length,
        llm_providers: (await d.selectFrom("llm_providers").select("id").where("user_id", "=", uid).execute())
          .length,
        generation_jobs: (
          await d.selectFrom("generation_jobs").select("id").where("user_id", "=", uid).execute()
        ).length,
        usage_records: (await d.selectFrom("usage_records").select("id").where("user_id", "=", uid).execute())
          .length,
      });
      const one = {
        users: 1,
        profiles: 1,
        user_roles: 1,
        sessions: 1,
        session_families: 1,
        api_keys: 1,
        memberships: 1,
        llm_providers: 1,
        generation_jobs: 1,
        usage_records: 1,
      };
      expect(await owned(userId)).toEqual(one);

      await d.deleteFrom("users").where("id", "=", userId).execute();

      expect(await owned(userId)).toEqual(Object.fromEntries(Object.keys(one).map((k) => [k, 0])));
      const audit = await d
        .selectFrom("audit_logs")
        .select(["actor_id", "actor_label", "action"])
        .where("id", "=", auditId)
        .executeTakeFirstOrThrow();
      expect(audit).toEqual({ actor_id: null, actor_label: "someone", action: "test.action" });

      // Nobody else's rows went with it.
      expect(await owned(bystander)).toEqual(one);
      const bystanderAudit = await d
        .selectFrom("audit_logs")
        .select("actor_id")
        .where("id", "=", bystanderAuditId)
        .executeTakeFirstOrThrow();
      expect(bystanderAudit.actor_id).toBe(bystander);
      expect(await countWhere(d, "memberships", "org_id", orgId)).toBe(1);
    });

    it("deleting an org removes its org-scope connections and memberships, and not its members", async () => {
      const d = db();
      const orgId = await newOrg(d);
      const otherOrg = await newOrg(d);
      const member = await newUser(d);
      await d.insertInto("memberships").values({ org_id: orgId, user_id: member, role: "owner" }).execute();
      await d
        .insertInto("memberships")
        .values({ org_id: otherOrg, user_id: member, role: "member" })
        .execute();
      await newConnection(d, { scope: "org", orgId }, { is_default: true });
      await newConnection(d, { scope: "org", orgId });
      await newConnection(d, { scope: "org", orgId: otherOrg }, { is_default: true });
      const personal = await newConnection(d, { scope: "user", userId: member }, { is_default: true });
      expect(await countWhere(d, "llm_providers", "org_id", orgId)).toBe(2);
      expect(await countWhere(d, "memberships", "org_id", orgId)).toBe(1);

      await d.deleteFrom("organizations").where("id", "=", orgId).execute();

      expect(await countWhere(d, "llm_providers", "org_id", orgId)).toBe(0);
      expect(await countWhere(d, "memberships", "org_id", orgId)).toBe(0);
      expect(await countWhere(d, "llm_providers", "org_id", otherOrg)).toBe(1);
      expect(await countWhere(d, "memberships", "org_id", otherOrg)).toBe(1);
      expect(
        await d.selectFrom("users").select("id").where("id", "=", member).executeTakeFirst(),
      ).toBeDefined();
      expect(
        await d.selectFrom("llm_providers").select("id").where("id", "=", personal).executeTakeFirst(),
      ).toBeDefined();
    });
  });

  describe("user_llm_profiles view", () => {
    const profileOf = (userId: string) =>
      db().selectFrom("user_llm_profiles").selectAll().where("user_id", "=", userId).execute();

    it("shows a user's default user-scope connection with provider = provider_type while enabled", async () => {
      const userId = await newUser(db());
      const id = await newConnection(
        db(),
        { scope: "user", userId },
        {
          is_default: true,
          provider_type: "anthropic",
          base_url: "https://api.anthropic.com",
          model: "claude-x",
          api_key_encrypted: "v1:k1:nonce:ct",
          timeout_seconds: 42,
          context_window: 200_000,
        },
      );
      // Another, non-default connection of the same user is not the profile.
      await newConnection(db(), { scope: "user", userId }, { provider_type: "openai" });

      const rows = await profileOf(userId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        id,
        user_id: userId,
        provider: "anthropic",
        base_url: "https://api.anthropic.com",
        model: "claude-x",
        api_key_encrypted: "v1:k1:nonce:ct",
        health_status: "unknown",
        last_tested_at: null,
      });
      expect(Number(rows[0]?.timeout_seconds)).toBe(42);
      expect(Number(rows[0]?.context_window)).toBe(200_000);
    });

    it("shows provider 'disabled' when the default connection is disabled", async () => {
      const userId = await newUser(db());
      const id = await newConnection(
        db(),
        { scope: "user", userId },
        { is_default: true, provider_type: "ollama" },
      );
      await db().updateTable("llm_providers").set({ is_enabled: false }).where("id", "=", id).execute();
      expect((await profileOf(userId)).map((r) => [r.id, r.provider])).toEqual([[id, "disabled"]]);
      await db().updateTable("llm_providers").set({ is_enabled: true }).where("id", "=", id).execute();
      expect((await profileOf(userId)).map((r) => [r.id, r.provider])).toEqual([[id, "ollama"]]);
    });

    it("returns nothing for a user with no connection, or with only non-default ones", async () => {
      const lonely = await newUser(db());
      expect(await profileOf(lonely)).toEqual([]);
      const noDefault = await newUser(db());
      await newConnection(db(), { scope: "user", userId: noDefault }, { is_default: false });
      expect(await profileOf(noDefault)).toEqual([]);
    });

    it("does not show org or system defaults as anyone's profile", async () => {
      const orgId = await newOrg(db());
      const orgDefault = await newConnection(db(), { scope: "org", orgId }, { is_default: true });
      const rows = await db()
        .selectFrom("user_llm_profiles")
        .select("id")
        .where("id", "=", orgDefault)
        .execute();
      expect(rows).toEqual([]);
    });
  });

  describe("timestamps", () => {
    it("a written Date reads back as the same UTC instant", async () => {
      const userId = await newUser(db());
      const instants = [
        new Date("2024-03-31T01:30:00.123Z"), // a DST change in Europe
        new Date("1999-12-31T23:59:59.999Z"),
        new Date(Math.floor(Date.now() / 1000) * 1000 + 456),
      ];
      for (const instant of instants) {
        const id = await newConnection(db(), { scope: "user", userId }, { last_tested_at: instant });
        const row = await db()
          .selectFrom("llm_providers")
          .select("last_tested_at")
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        expect(row.last_tested_at).not.toBeNull();
        expect(new Date(row.last_tested_at ?? 0).toISOString()).toBe(instant.toISOString());
        expect(toDate(row.last_tested_at ?? "").getTime()).toBe(instant.getTime());
      }
      // A Date compares correctly against stored ones in a WHERE clause as well.
      const later = await db()
        .selectFrom("llm_providers")
        .select("id")
        .where("user_id", "=", userId)
        .where("last_tested_at", ">", new Date("2000-01-01T00:00:00.000Z"))
        .execute();
      expect(later).toHaveLength(2);
    });

    it("column defaults record the current UTC time", async () => {
      const before = Date.now();
      const id = await newUser(db());
      const row = await db()
        .selectFrom("users")
        .select(["created_at", "updated_at"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      // Off by hours would mean a local time stored as UTC; allow a little clock skew.
      expect(Math.abs(toDate(row.created_at).getTime() - before)).toBeLessThan(60_000);
      expect(Math.abs(toDate(row.updated_at).getTime() - before)).toBeLessThan(60_000);
    });
  });
});

function ownerId(owner: Owner): string {
  switch (owner.scope) {
    case "user":
      return owner.userId;
    case "org":
      return owner.orgId;
    case "system":
      return "system";
  }
}
