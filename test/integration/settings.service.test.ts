import { v7 as uuidv7 } from "uuid";
import { beforeEach, expect, it } from "vitest";
import { type Actor, systemActor, userActor } from "../../src/domain/actor.js";
import { AppError } from "../../src/domain/errors.js";
import { SETTING_KEYS } from "../../src/domain/settings/settings.registry.js";
import { createSettingsRepo } from "../../src/domain/settings/settings.repo.js";
import { createSettingsService } from "../../src/domain/settings/settings.service.js";
import { describeEachDialect, useMigratedDatabase } from "../support/databases.js";

// Real: the database of each dialect, the repo and the service. Nothing is faked.

async function expectAppError(promise: Promise<unknown>, code: AppError["code"]): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

describeEachDialect("settings service", (dialect) => {
  const ctx = useMigratedDatabase(dialect);
  // The audit trail is checked by the HTTP tests; here a fake that records nothing stands in.
  const audit = { record: async () => {} };
  const service = () => createSettingsService({ repo: createSettingsRepo({ db: ctx().db, dialect }), audit });

  async function createUser(roles: readonly string[]): Promise<Actor> {
    const id = uuidv7();
    await ctx()
      .db.insertInto("users")
      .values({ id, email: `${id}@example.test`, password_hash: null })
      .execute();
    return userActor(id, roles);
  }

  beforeEach(async () => {
    await ctx().db.deleteFrom("settings").execute();
  });

  it("get returns the default on an empty table", async () => {
    const settings = service();
    expect(await settings.get("auth.registration")).toBe("closed");
    expect(await settings.get("auth.access_token_ttl_seconds")).toBe(900);
    expect(await settings.get("gateway.fallback_to_system_default")).toBe(true);
  });

  it("set then get returns the value", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    const view = await settings.set(admin, "auth.registration", "open");
    expect(view).toMatchObject({
      key: "auth.registration",
      value: "open",
      default: "closed",
      is_default: false,
    });
    expect(await settings.get("auth.registration")).toBe("open");

    await settings.set(admin, "auth.access_token_ttl_seconds", 3600);
    await settings.set(admin, "gateway.fallback_to_system_default", false);
    expect(await settings.get("auth.access_token_ttl_seconds")).toBe(3600);
    expect(await settings.get("gateway.fallback_to_system_default")).toBe(false);
  });

  it("set replaces an earlier value", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    await settings.set(admin, "auth.access_token_ttl_seconds", 120);
    await settings.set(admin, "auth.access_token_ttl_seconds", 240);
    expect(await settings.get("auth.access_token_ttl_seconds")).toBe(240);
    const rows = await ctx().db.selectFrom("settings").select("key").execute();
    expect(rows).toHaveLength(1);
  });

  it("list shows every registered key, a set one with is_default false and who set it", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    const before = Date.now();
    await settings.set(admin, "auth.registration", "open");

    const { items } = await settings.list(admin);
    expect(items.map((item) => item.key)).toEqual(SETTING_KEYS);
    const registration = items.find((item) => item.key === "auth.registration");
    expect(registration).toMatchObject({
      value: "open",
      default: "closed",
      is_default: false,
      updated_by: admin.kind === "user" ? admin.userId : null,
    });
    expect(registration?.description).not.toBe("");
    const updatedAt = Date.parse(registration?.updated_at ?? "");
    expect(updatedAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(updatedAt).toBeLessThanOrEqual(Date.now() + 1_000);

    const ttl = items.find((item) => item.key === "auth.access_token_ttl_seconds");
    expect(ttl).toEqual({
      key: "auth.access_token_ttl_seconds",
      value: 900,
      default: 900,
      description: expect.any(String),
      is_default: true,
      updated_at: null,
      updated_by: null,
    });
  });

  it("updated_by records the acting user's id, and the row keeps the description", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    if (admin.kind !== "user") throw new Error("unreachable");
    await settings.set(admin, "gateway.fallback_to_system_default", false);
    const row = await ctx()
      .db.selectFrom("settings")
      .selectAll()
      .where("key", "=", "gateway.fallback_to_system_default")
      .executeTakeFirstOrThrow();
    expect(row.updated_by).toBe(admin.userId);
    expect(row.value).toBe("false");
    expect(row.description).toMatch(/system default/);
  });

  it("reset returns to the default", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    await settings.set(admin, "auth.registration", "open");
    const view = await settings.reset(admin, "auth.registration");
    expect(view).toMatchObject({ value: "closed", is_default: true, updated_at: null, updated_by: null });
    expect(await settings.get("auth.registration")).toBe("closed");
    const { items } = await settings.list(admin);
    expect(items.find((item) => item.key === "auth.registration")?.is_default).toBe(true);
    // Resetting what is already the default is not an error.
    await settings.reset(admin, "auth.registration");
  });

  it("an unknown key is unknown_setting", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    const key: string = "auth.nonexistent";
    await expectAppError(settings.set(admin, key, "x"), "unknown_setting");
    await expectAppError(settings.reset(admin, key), "unknown_setting");
    await expectAppError(settings.set(admin, "__proto__", {}), "unknown_setting");
  });

  it("a value of the wrong type is validation_failed naming the field and what is expected", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    const fromUrl: string = "auth.access_token_ttl_seconds";

    const wrongType = await expectAppError(settings.set(admin, fromUrl, "900"), "validation_failed");
    expect(wrongType.issues).toEqual([{ field: "/value", message: "must be integer" }]);

    const outOfRange = await expectAppError(settings.set(admin, fromUrl, 30), "validation_failed");
    expect(outOfRange.issues).toEqual([{ field: "/value", message: "must be >= 60" }]);

    const notInEnum = await expectAppError(
      // @ts-expect-error a registered key takes its own value type
      settings.set(admin, "auth.registration", "invite"),
      "validation_failed",
    );
    expect(notInEnum.issues).toEqual([{ field: "/value", message: 'must be one of "open", "closed"' }]);
    expect(notInEnum.message).toContain("auth.registration");

    expect(await ctx().db.selectFrom("settings").select("key").execute()).toEqual([]);
  });

  it("a non-admin gets forbidden on list, set and reset, and changes nothing", async () => {
    const settings = service();
    const user = await createUser(["user"]);
    await expectAppError(settings.list(user), "forbidden");
    await expectAppError(settings.set(user, "auth.registration", "open"), "forbidden");
    await expectAppError(settings.reset(user, "auth.registration"), "forbidden");
    // Forbidden comes before the key is looked at, so a non-admin learns nothing about keys.
    await expectAppError(settings.set(user, "auth.nonexistent", 1), "forbidden");
    expect(await settings.get("auth.registration")).toBe("closed");
  });

  it("a system actor may set, recorded with no user", async () => {
    const settings = service();
    const view = await settings.set(systemActor("cli"), "auth.registration", "open");
    expect(view).toMatchObject({ value: "open", is_default: false, updated_by: null });
    expect(await settings.get("auth.registration")).toBe("open");
  });

  it("a stored value that no longer validates falls back to the default", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    await ctx()
      .db.insertInto("settings")
      .values([
        { id: uuidv7(), key: "auth.registration", value: JSON.stringify("invite-only"), description: null },
        { id: uuidv7(), key: "auth.access_token_ttl_seconds", value: "not json", description: null },
        { id: uuidv7(), key: "retired.setting", value: "1", description: null },
      ])
      .execute();
    expect(await settings.get("auth.registration")).toBe("closed");
    expect(await settings.get("auth.access_token_ttl_seconds")).toBe(900);
    const { items } = await settings.list(admin);
    expect(items.map((item) => item.key)).toEqual(SETTING_KEYS);
    expect(items.every((item) => item.is_default)).toBe(true);
  });

  it("get reads the database each time, so another instance's change is seen at once", async () => {
    const one = service();
    const other = service();
    const admin = await createUser(["admin"]);
    expect(await other.get("auth.registration")).toBe("closed");
    await one.set(admin, "auth.registration", "open");
    expect(await other.get("auth.registration")).toBe("open");
    await one.reset(admin, "auth.registration");
    expect(await other.get("auth.registration")).toBe("closed");
  });

  it("two concurrent sets of the same key both succeed and one value wins", async () => {
    const settings = service();
    const admin = await createUser(["admin"]);
    for (let round = 0; round < 5; round++) {
      await ctx().db.deleteFrom("settings").execute();
      const values = [300 + round, 600 + round];
      const results = await Promise.allSettled(
        values.map((value) => settings.set(admin, "auth.access_token_ttl_seconds", value)),
      );
      expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled"]);
      expect(values).toContain(await settings.get("auth.access_token_ttl_seconds"));
      const rows = await ctx()
        .db.selectFrom("settings")
        .select("key")
        .where("key", "=", "auth.access_token_ttl_seconds")
        .execute();
      expect(rows).toHaveLength(1);
    }
  });
});
