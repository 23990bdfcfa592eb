import { expect, it } from "vitest";
import { createMigrator } from "../../src/db/migrator.js";
import { describeEachDialect, useEmptyDatabasePerTest } from "../support/databases.js";
import { MIGRATION_NAMES } from "../support/migration-names.js";
import { listIndexes, type SchemaSnapshot, snapshotSchema } from "../support/schema-snapshot.js";

const MIGRATIONS: string[] = [...MIGRATION_NAMES];

/** What each migration creates: tables, and (isView) views. */
const CREATES: Record<string, { tables: string[]; views: string[] }> = {
  "0001_identity": {
    tables: [
      "api_keys",
      "memberships",
      "organizations",
      "profiles",
      "roles",
      "sessions",
      "user_roles",
      "users",
    ],
    views: [],
  },
  "0002_connections": { tables: ["llm_providers"], views: ["user_llm_profiles"] },
  "0003_operations": {
    tables: ["audit_logs", "generation_jobs", "plugins", "settings", "system_logs", "usage_records"],
    views: [],
  },
  // Adds a column only.
  "0004_health_hysteresis": { tables: [], views: [] },
  "0005_bootstrap_claims": { tables: ["bootstrap_claims"], views: [] },
  "0006_session_families": { tables: ["session_families"], views: [] },
  // Adds a column only.
  "0007_membership_invitations": { tables: [], views: [] },
};

/** The tables and views the given migrations create, sorted, as `name` or `name (view)`. */
function objectsOf(migrationNames: string[]): string[] {
  return migrationNames
    .flatMap((m) => [...(CREATES[m]?.tables ?? []), ...(CREATES[m]?.views ?? []).map((v) => `${v} (view)`)])
    .sort();
}

function objectsIn(snapshot: SchemaSnapshot): string[] {
  return snapshot.tables.map((t) => (t.isView ? `${t.name} (view)` : t.name)).sort();
}

describeEachDialect("migrations", (dialect) => {
  const db = useEmptyDatabasePerTest(dialect);
  const snapshot = () => snapshotSchema(db(), dialect);

  it("up applies every migration, downAll reverts them all, and up again rebuilds the identical schema", async () => {
    const migrator = createMigrator(db());
    expect(objectsIn(await snapshot())).toEqual([]);

    expect((await migrator.up()).names).toEqual(MIGRATIONS);
    const first = await snapshot();
    expect(objectsIn(first)).toEqual(objectsOf(MIGRATIONS));
    // The snapshot really describes the schema (so comparing two of them means something).
    const connections = first.tables.find((t) => t.name === "llm_providers");
    expect(connections?.columns.map((c) => c.name)).toEqual(
      expect.arrayContaining(["id", "scope", "owner_key", "name", "provider_type", "is_default"]),
    );
    expect(first.indexes.length).toBeGreaterThan(20);
    expect(first.definitions.length).toBeGreaterThan(10);

    expect((await migrator.downAll()).names).toEqual([...MIGRATIONS].reverse());
    const empty = await snapshot();
    expect(empty).toEqual({ tables: [], indexes: [], definitions: [] });
    // Only Kysely's own bookkeeping tables may remain.
    const remaining = await db().introspection.getTables({ withInternalKyselyTables: true });
    expect(remaining.map((t) => t.name).sort()).toEqual(["kysely_migration", "kysely_migration_lock"]);

    expect((await migrator.up()).names).toEqual(MIGRATIONS);
    expect(await snapshot()).toEqual(first);
  });

  it("up asked to stop does so between two steps, and a later up applies the rest", async () => {
    const migrator = createMigrator(db());
    let asked = 0;
    // Asked before each step: go on once, then stop.
    await expect(migrator.up({ stopRequested: () => asked++ >= 1 })).rejects.toThrow(
      /stopped on request after 1 step\(s\) \(0001_identity\)/,
    );
    const status = await migrator.status();
    expect(status.filter((m) => m.applied).map((m) => m.name)).toEqual([MIGRATIONS[0]]);
    expect((await migrator.up()).names).toEqual(MIGRATIONS.slice(1));
  });

  it("down reverts exactly the last step and up re-applies it", async () => {
    const migrator = createMigrator(db());
    await migrator.up();
    const full = await snapshot();

    const last = MIGRATIONS[MIGRATIONS.length - 1];
    expect((await migrator.down()).names).toEqual([last]);
    expect((await migrator.status()).map((s) => [s.name, s.applied])).toEqual(
      MIGRATIONS.map((name) => [name, name !== last]),
    );
    expect(await snapshot()).not.toEqual(full);

    expect((await migrator.up()).names).toEqual([last]);
    expect((await migrator.status()).every((s) => s.applied)).toBe(true);
    expect(await snapshot()).toEqual(full);

    // Step by step all the way down: each down takes exactly one migration off the top.
    for (let applied = MIGRATIONS.length; applied > 0; applied--) {
      expect((await migrator.down()).names).toEqual([MIGRATIONS[applied - 1]]);
      expect(objectsIn(await snapshot())).toEqual(objectsOf(MIGRATIONS.slice(0, applied - 1)));
    }
    expect((await migrator.status()).some((s) => s.applied)).toBe(false);
  });

  it("status lists applied and pending migrations in order", async () => {
    const migrator = createMigrator(db());

    const fresh = await migrator.status();
    expect(fresh).toEqual(MIGRATIONS.map((name) => ({ name, applied: false, executedAt: null })));

    const before = Date.now();
    await migrator.up();
    const applied = await migrator.status();
    expect(applied.map((s) => s.name)).toEqual(MIGRATIONS);
    for (const s of applied) {
      expect(s.applied).toBe(true);
      expect(s.executedAt).toBeInstanceOf(Date);
      // executed just now (allowing for clock skew between this process and the server)
      expect(Math.abs((s.executedAt?.getTime() ?? 0) - before)).toBeLessThan(5 * 60_000);
    }
    expect((await migrator.up()).names).toEqual([]);

    await migrator.down();
    await migrator.down();
    await migrator.down();
    const partial = await migrator.status();
    expect(partial.map((s) => [s.name, s.applied])).toEqual(
      MIGRATIONS.map((name, i) => [name, i < MIGRATIONS.length - 3]),
    );
    expect(partial[0]?.executedAt).toEqual(applied[0]?.executedAt);
    expect(partial[MIGRATIONS.length - 3]?.executedAt).toBeNull();
    expect(partial[MIGRATIONS.length - 1]?.executedAt).toBeNull();
  });

  it("creates the indexes the seeds rely on", async () => {
    await createMigrator(db()).up();
    const indexes = await listIndexes(db(), dialect);
    const leadingColumns = (table: string) =>
      indexes.filter((i) => i.table === table).map((i) => i.columns[0]);

    expect(leadingColumns("llm_providers")).toEqual(
      expect.arrayContaining(["user_id", "provider_type", "is_default", "is_enabled"]),
    );
    expect(leadingColumns("generation_jobs")).toContain("user_id");
    expect(leadingColumns("system_logs")).toContain("level");

    const byName = (name: string) => indexes.find((i) => i.name === name);
    expect(byName("llm_providers_user_id_idx")).toMatchObject({
      table: "llm_providers",
      columns: ["user_id"],
    });
    expect(byName("llm_providers_provider_type_idx")).toMatchObject({
      table: "llm_providers",
      columns: ["provider_type"],
    });
    expect(byName("llm_providers_is_default_idx")).toMatchObject({
      table: "llm_providers",
      columns: ["is_default"],
    });
    expect(byName("llm_providers_is_enabled_idx")).toMatchObject({
      table: "llm_providers",
      columns: ["is_enabled"],
    });
    expect(byName("generation_jobs_user_id_idx")).toMatchObject({
      table: "generation_jobs",
      columns: ["user_id"],
    });
    expect(byName("system_logs_level_idx")).toMatchObject({ table: "system_logs", columns: ["level"] });
    // The one-default-per-owner index is unique in every dialect.
    expect(byName("llm_providers_one_default_key")).toMatchObject({ table: "llm_providers", unique: true });
  });

  it("0006 gives the logins of existing refresh tokens a family, revoked where their tokens were", async () => {
    const migrator = createMigrator(db());
    await migrator.up();
    // Back to just before 0006, however many migrations come after it.
    while (!(await migrator.down()).names.includes("0006_session_families"));
    const d = db();
    await d.insertInto("users").values({ id: "u1", email: "u1@example.test" }).execute();
    const token = (id: string, family: string, revoked: boolean) => ({
      id,
      user_id: "u1",
      family_id: family,
      refresh_token_hash: `hash-${id}`,
      expires_at: new Date(Date.now() + 3_600_000),
      revoked_at: revoked ? new Date() : null,
    });
    await d
      .insertInto("sessions")
      .values([token("s1", "live", false), token("s2", "live", false), token("s3", "ended", true)])
      .execute();

    expect((await migrator.up()).names).toContain("0006_session_families");
    const families = await d
      .selectFrom("session_families")
      .select(["id", "user_id", "revoked_at"])
      .orderBy("id")
      .execute();
    expect(families.map((f) => [f.id, f.user_id, f.revoked_at !== null])).toEqual([
      ["ended", "u1", true],
      ["live", "u1", false],
    ]);
  });

  it("0007 keeps existing memberships active, and going down drops the invitations still pending", async () => {
    const migrator = createMigrator(db());
    await migrator.up();
    // Back to just before 0007, however many migrations come after it.
    while (!(await migrator.down()).names.includes("0007_membership_invitations"));
    const d = db();
    await d
      .insertInto("users")
      .values([
        { id: "u1", email: "u1@example.test" },
        { id: "u2", email: "u2@example.test" },
      ])
      .execute();
    await d.insertInto("organizations").values({ id: "o1", name: "O", slug: "o" }).execute();
    const joined = new Date("2026-01-02T03:04:05.678Z");
    await d
      .insertInto("memberships")
      .values({ org_id: "o1", user_id: "u1", role: "owner", created_at: joined })
      .execute();

    expect((await migrator.up()).names).toContain("0007_membership_invitations");
    const rows = await d.selectFrom("memberships").select(["user_id", "created_at", "accepted_at"]).execute();
    expect(rows.map((r) => [r.user_id, new Date(r.accepted_at ?? 0).toISOString()])).toEqual([
      ["u1", joined.toISOString()],
    ]);

    await d
      .insertInto("memberships")
      .values({ org_id: "o1", user_id: "u2", role: "member", accepted_at: null })
      .execute();
    while (!(await migrator.down()).names.includes("0007_membership_invitations"));
    const left = await d.selectFrom("memberships").select("user_id").execute();
    expect(left.map((r) => r.user_id)).toEqual(["u1"]);
  });
});
