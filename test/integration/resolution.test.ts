import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { ConnectionView } from "../../src/domain/connections/connections.schemas.js";
import type { OrgView } from "../../src/domain/orgs/orgs.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Which connection serves a user (DESIGN.md, Resolution), asked of the real resolver after setting
// things up over the real HTTP app on each dialect. Nothing is faked except, in one test, the
// server environment an `env:` key reference reads. The suite shares one database: the system
// default is made once below, and any test that changes it or a setting puts it back.

type Method = "GET" | "POST" | "PUT" | "DELETE";

interface Reply {
  statusCode: number;
  body: string;
  json<T>(): T;
}

const tag = () => randomBytes(5).toString("hex");
const publicBase = { provider_type: "openai-compatible", base_url: "https://llm.example.test/v1" };

describeEachDialect("connection resolution", (dialect) => {
  const t = useTestApp(dialect);
  let system: ConnectionView;
  const systemKey = `sk-system-${tag()}-SYSK`;

  function call(user: TestUser, method: Method, url: string, payload?: unknown): Promise<Reply> {
    return t().app.inject({
      method,
      url,
      headers: user.headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  }

  async function ok(res: Promise<Reply>, status = 200): Promise<Reply> {
    const r = await res;
    expect(r.statusCode, r.body).toBe(status);
    return r;
  }

  async function create(user: TestUser, body: Record<string, unknown>): Promise<ConnectionView> {
    const res = await ok(
      call(user, "POST", "/api/llm-providers", { ...publicBase, name: `c-${tag()}`, ...body }),
      201,
    );
    return res.json<ConnectionView>();
  }

  async function createOrg(owner: TestUser): Promise<OrgView> {
    return (await ok(call(owner, "POST", "/api/orgs", { name: `Org ${tag()}` }), 201)).json<OrgView>();
  }

  async function invite(owner: TestUser, orgId: string, member: TestUser, role = "member"): Promise<void> {
    await ok(call(owner, "POST", `/api/orgs/${orgId}/members`, { email: member.email, role }), 201);
  }

  async function accept(member: TestUser, orgId: string): Promise<void> {
    await ok(call(member, "POST", `/api/orgs/${orgId}/invitation/accept`));
  }

  /** Invites the member, who accepts. */
  async function addMember(owner: TestUser, orgId: string, member: TestUser, role = "member"): Promise<void> {
    await invite(owner, orgId, member, role);
    await accept(member, orgId);
  }

  async function setSetting(key: string, value: unknown): Promise<void> {
    await ok(call(t().admin, "PUT", `/api/admin/settings/${key}`, { value }));
  }

  async function resetSetting(key: string): Promise<void> {
    await ok(call(t().admin, "DELETE", `/api/admin/settings/${key}`));
  }

  /** The resolved connection's id and the model it would be asked for. */
  async function resolved(
    user: TestUser,
    model?: string,
  ): Promise<{ id: string; model: string | undefined } | undefined> {
    const r = await t().sy.resolver.resolve(user.id, model);
    return r ? { id: r.connection.id, model: r.model } : undefined;
  }

  /** A member of a fresh org whose default connection is `orgConn`. */
  async function orgWithMember(): Promise<{
    owner: TestUser;
    member: TestUser;
    org: OrgView;
    orgConn: ConnectionView;
  }> {
    const owner = await t().newUser();
    const member = await t().newUser();
    const org = await createOrg(owner);
    await addMember(owner, org.id, member);
    const orgConn = await create(owner, { scope: "org", org_id: org.id, model: "org-model" });
    expect(orgConn.is_default).toBe(true);
    return { owner, member, org, orgConn };
  }

  beforeAll(async () => {
    // The first system connection, so the system default.
    system = await create(t().admin, {
      name: `sys-main-${tag()}`,
      scope: "system",
      base_url: "http://127.0.0.1:9/v1",
      model: "sys-model",
      api_key: systemKey,
    });
    expect(system.is_default).toBe(true);
  });

  describe("the order", () => {
    it("DESIGN Resolution: the user's default wins over the org and system defaults", async () => {
      const { member } = await orgWithMember();
      const own = await create(member, { model: "my-model" });
      expect(await resolved(member)).toEqual({ id: own.id, model: "my-model" });
    });

    it("DESIGN Resolution: a disabled user default falls through to the org default", async () => {
      const { member, orgConn } = await orgWithMember();
      const own = await create(member, { model: "my-model" });
      expect((await resolved(member))?.id).toBe(own.id);
      await ok(call(member, "PUT", `/api/llm-providers/${own.id}`, { is_enabled: false }));
      expect(await resolved(member)).toEqual({ id: orgConn.id, model: "org-model" });
    });

    it("DESIGN Resolution: a profile left at provider disabled falls through to the org default", async () => {
      const { member, orgConn } = await orgWithMember();
      const profile = await ok(call(member, "GET", "/api/users/me/llm-profile"));
      expect(profile.json<{ provider: string }>().provider).toBe("disabled");
      expect((await resolved(member))?.id).toBe(orgConn.id);
    });

    it("DESIGN Resolution: with no user or org default (or a disabled org default), the system default serves", async () => {
      const loner = await t().newUser();
      expect(await resolved(loner)).toEqual({ id: system.id, model: "sys-model" });

      const { owner, member, orgConn } = await orgWithMember();
      await ok(call(owner, "PUT", `/api/llm-providers/${orgConn.id}`, { is_enabled: false }));
      expect((await resolved(member))?.id).toBe(system.id);
    });

    it("DESIGN Resolution: with gateway.fallback_to_system_default false, nothing serves (undefined)", async () => {
      const loner = await t().newUser();
      const { member, orgConn } = await orgWithMember();
      expect((await resolved(loner))?.id).toBe(system.id);
      await setSetting("gateway.fallback_to_system_default", false);
      try {
        expect(await t().sy.resolver.resolve(loner.id)).toBeUndefined();
        // Org defaults do not depend on the setting.
        expect((await resolved(member))?.id).toBe(orgConn.id);
      } finally {
        await resetSetting("gateway.fallback_to_system_default");
      }
      expect((await resolved(loner))?.id).toBe(system.id);
    });
  });

  describe("explicit and bare models", () => {
    it('DESIGN Resolution: "<connection name>/<model>" picks that connection, own before org before system', async () => {
      const shared = `shared-${tag()}`;
      const sysShared = await create(t().admin, {
        name: shared,
        scope: "system",
        base_url: "http://127.0.0.1:9/v1",
      });
      expect(sysShared.is_default).toBe(false);
      const { owner, member, org } = await orgWithMember();
      const orgShared = await create(owner, { name: shared, scope: "org", org_id: org.id });
      const mine = await create(member, { name: shared });
      await create(member, { name: `other-${tag()}`, is_default: true });

      expect(await resolved(member, `${shared}/gpt-x`)).toEqual({ id: mine.id, model: "gpt-x" });
      // The owner has no own connection of that name: the org's.
      expect(await resolved(owner, `${shared}/gpt-y`)).toEqual({ id: orgShared.id, model: "gpt-y" });
      // Someone in no org: the system's.
      const loner = await t().newUser();
      expect(await resolved(loner, `${shared}/gpt-z`)).toEqual({ id: sysShared.id, model: "gpt-z" });
      // The model part may itself hold slashes.
      expect(await resolved(member, `${shared}/meta-llama/Llama-3-8B`)).toEqual({
        id: mine.id,
        model: "meta-llama/Llama-3-8B",
      });
    });

    it("DESIGN Resolution: an explicit name only matches connections the caller may use", async () => {
      const alice = await t().newUser();
      const secret = await create(alice, { name: `alice-only-${tag()}` });
      const mallory = await t().newUser();
      const r = await t().sy.resolver.resolve(mallory.id, `${secret.name}/m`);
      expect(r?.connection.id).not.toBe(secret.id);
      expect(r?.connection.id).toBe(system.id);

      // A disabled connection is not usable by name either.
      const off = await create(alice, { name: `off-${tag()}` });
      await ok(call(alice, "PUT", `/api/llm-providers/${off.id}`, { is_enabled: false }));
      expect((await resolved(alice, `${off.name}/m`))?.id).toBe(secret.id);
    });

    it("DESIGN Resolution: an org that only invited the user is not in their resolution, by default or by name", async () => {
      const shared = `shared-${tag()}`;
      const sysShared = await create(t().admin, {
        name: shared,
        scope: "system",
        base_url: "http://127.0.0.1:9/v1",
      });
      const bob = await t().newUser();
      const alice = await t().newUser();
      const org = await createOrg(bob);
      const orgDefault = await create(bob, { scope: "org", org_id: org.id, model: "bobs-model" });
      const shadow = await create(bob, { name: shared, scope: "org", org_id: org.id });
      await invite(bob, org.id, alice);

      expect(await resolved(alice)).toEqual({ id: system.id, model: "sys-model" });
      expect(await resolved(alice, `${shared}/gpt-x`)).toEqual({ id: sysShared.id, model: "gpt-x" });
      expect((await resolved(alice, `${orgDefault.name}/m`))?.id).toBe(system.id);
      const usable = (await t().sy.resolver.usable(alice.id)).map((c) => c.id);
      expect(usable).not.toContain(orgDefault.id);
      expect(usable).not.toContain(shadow.id);

      await accept(alice, org.id);
      expect((await resolved(alice))?.id).toBe(orgDefault.id);
      expect(await resolved(alice, `${shared}/gpt-x`)).toEqual({ id: shadow.id, model: "gpt-x" });
    });

    it("DESIGN Resolution: a bare model is passed through on the resolved connection; none means the connection's own", async () => {
      const user = await t().newUser();
      const own = await create(user, { model: "default-model" });
      expect(await resolved(user, "gpt-4o")).toEqual({ id: own.id, model: "gpt-4o" });
      expect(await resolved(user)).toEqual({ id: own.id, model: "default-model" });
      const loner = await t().newUser();
      expect(await resolved(loner, "llama3")).toEqual({ id: system.id, model: "llama3" });
    });
  });

  describe("cache invalidation: the very next resolve sees each change", () => {
    it("DESIGN Resolution: after set-default", async () => {
      const user = await t().newUser();
      const a = await create(user, {});
      const b = await create(user, {});
      expect((await resolved(user))?.id).toBe(a.id);
      await ok(call(user, "PUT", `/api/llm-providers/${b.id}/set-default`));
      expect((await resolved(user))?.id).toBe(b.id);
      await ok(call(user, "PUT", `/api/llm-providers/${a.id}`, { is_default: true }));
      expect((await resolved(user))?.id).toBe(a.id);
    });

    it("DESIGN Resolution: after disabling and re-enabling, and after changing the model", async () => {
      const user = await t().newUser();
      const own = await create(user, { model: "m1" });
      expect(await resolved(user)).toEqual({ id: own.id, model: "m1" });
      await ok(call(user, "PUT", `/api/llm-providers/${own.id}`, { model: "m2" }));
      expect(await resolved(user)).toEqual({ id: own.id, model: "m2" });
      await ok(call(user, "PUT", `/api/llm-providers/${own.id}`, { is_enabled: false }));
      expect((await resolved(user))?.id).toBe(system.id);
      await ok(call(user, "PUT", "/api/users/me/llm-profile", { provider: "openai-compatible" }));
      expect((await resolved(user))?.id).toBe(own.id);
      await ok(call(user, "PUT", "/api/users/me/llm-profile", { provider: "disabled" }));
      expect((await resolved(user))?.id).toBe(system.id);
    });

    it("DESIGN Resolution: after removal from the org (and after joining one)", async () => {
      const { owner, member, org, orgConn } = await orgWithMember();
      expect((await resolved(member))?.id).toBe(orgConn.id);
      await ok(call(owner, "DELETE", `/api/orgs/${org.id}/members/${member.id}`), 204);
      expect((await resolved(member))?.id).toBe(system.id);
      // By name, too: the org's connection is no longer usable.
      expect((await resolved(member, `${orgConn.name}/m`))?.id).toBe(system.id);
      // Invited again, nothing changes until they accept; then the org's default serves at once.
      await invite(owner, org.id, member);
      expect((await resolved(member))?.id).toBe(system.id);
      expect((await resolved(member, `${orgConn.name}/m`))?.id).toBe(system.id);
      await accept(member, org.id);
      expect((await resolved(member))?.id).toBe(orgConn.id);
      expect((await resolved(member, `${orgConn.name}/m`))?.id).toBe(orgConn.id);
    });

    it("DESIGN Resolution: after an org's default moves, and after a connection is deleted", async () => {
      const { owner, member, org, orgConn } = await orgWithMember();
      const second = await create(owner, { scope: "org", org_id: org.id });
      expect((await resolved(member))?.id).toBe(orgConn.id);
      await ok(call(owner, "PUT", `/api/llm-providers/${second.id}/set-default`));
      expect((await resolved(member))?.id).toBe(second.id);
      const own = await create(member, {});
      expect((await resolved(member))?.id).toBe(own.id);
      await ok(call(member, "DELETE", `/api/llm-providers/${own.id}`), 204);
      expect((await resolved(member))?.id).toBe(second.id);
    });

    it("DESIGN Resolution: after a setting change", async () => {
      const loner = await t().newUser();
      expect((await resolved(loner))?.id).toBe(system.id);
      await setSetting("gateway.fallback_to_system_default", false);
      try {
        expect(await resolved(loner)).toBeUndefined();
      } finally {
        await resetSetting("gateway.fallback_to_system_default");
      }
      expect((await resolved(loner))?.id).toBe(system.id);
    });

    it("DESIGN Resolution: after the admin moves the system default", async () => {
      const loner = await t().newUser();
      expect((await resolved(loner))?.id).toBe(system.id);
      const next = await create(t().admin, {
        scope: "system",
        base_url: "http://127.0.0.1:9/v1",
        model: "next",
      });
      await ok(call(t().admin, "PUT", `/api/llm-providers/${next.id}/set-default`));
      try {
        expect(await resolved(loner)).toEqual({ id: next.id, model: "next" });
      } finally {
        await ok(call(t().admin, "PUT", `/api/llm-providers/${system.id}/set-default`));
        await ok(call(t().admin, "DELETE", `/api/llm-providers/${next.id}`), 204);
      }
      expect((await resolved(loner))?.id).toBe(system.id);
    });
  });

  describe("keys", () => {
    it("DESIGN Secrets: connectionKey returns the plaintext key that was saved, for user and system connections", async () => {
      const user = await t().newUser();
      const key = `sk-resolve-${tag()}-RSLV`;
      await create(user, { api_key: key });
      const mine = await t().sy.resolver.resolve(user.id);
      expect(await t().sy.connectionKey(mine!.connection)).toBe(key);

      // After the key is replaced, the next resolve carries the new one.
      const next = `sk-resolve-next-${tag()}-NEXT`;
      await ok(call(user, "PUT", `/api/llm-providers/${mine!.connection.id}`, { api_key: next }));
      const again = await t().sy.resolver.resolve(user.id);
      expect(await t().sy.connectionKey(again!.connection)).toBe(next);

      const loner = await t().newUser();
      const sys = await t().sy.resolver.resolve(loner.id);
      expect(sys?.connection.id).toBe(system.id);
      expect(await t().sy.connectionKey(sys!.connection)).toBe(systemKey);
    });

    it("DESIGN Secrets: an env: key reference on a system connection resolves only while its name is allowlisted", async () => {
      const envName = `SY_TEST_KEY_${tag().toUpperCase()}`;
      await setSetting("connections.env_key_allowlist", [envName]);
      try {
        const ref = await create(t().admin, {
          name: `env-ref-${tag()}`,
          provider_type: "openai",
          base_url: undefined,
          scope: "system",
          api_key_ref: `env:${envName}`,
        });
        expect(ref).toMatchObject({ api_key_ref: `env:${envName}`, has_api_key: true, api_key_hint: null });

        const user = await t().newUser();
        const r = await t().sy.resolver.resolve(user.id, `${ref.name}/gpt-4o`);
        expect(r?.connection.id).toBe(ref.id);
        expect(r?.model).toBe("gpt-4o");
        // The test Switchyard's environment is empty: nothing to read.
        expect(await t().sy.connectionKey(r!.connection)).toBeUndefined();

        // With the variable present (the one fake: the environment Switchyard was given), it is read
        // while allowlisted and not once the name is removed from the allowlist.
        const envValue = `sk-from-env-${tag()}`;
        const env = vi
          .spyOn(t().sy.config, "secretFromEnv")
          .mockImplementation((name) => (name === envName ? envValue : undefined));
        try {
          expect(await t().sy.connectionKey(r!.connection)).toBe(envValue);
          await setSetting("connections.env_key_allowlist", []);
          expect(await t().sy.connectionKey(r!.connection)).toBeUndefined();
        } finally {
          env.mockRestore();
        }
        expect(await t().sy.connectionKey(r!.connection)).toBeUndefined();
      } finally {
        await resetSetting("connections.env_key_allowlist");
      }
    });
  });
});
