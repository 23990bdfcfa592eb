import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type {
  InvitationList,
  MemberList,
  MemberView,
  OrgList,
  OrgView,
} from "../../src/domain/orgs/orgs.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// Real: the whole HTTP app, its services and a fresh database of each dialect, driven with inject.
// Nothing is faked. The suite's tests share the database, so each makes its own users and orgs
// (slugs carry a random tag) and never counts rows it did not create.

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  errors?: { field: string; message: string }[];
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

interface Call {
  method: Method;
  url: string;
  payload?: Record<string, unknown>;
}

const tag = () => randomBytes(5).toString("hex");

describeEachDialect("orgs routes", (dialect) => {
  const t = useTestApp(dialect);

  async function call(user: TestUser | undefined, request: Call, headers: Record<string, string> = {}) {
    return t().app.inject({
      method: request.method,
      url: request.url,
      headers: { ...(user?.headers ?? {}), ...headers },
      ...(request.payload === undefined ? {} : { payload: request.payload }),
    });
  }

  async function createOrg(owner: TestUser, body: Record<string, unknown> = {}): Promise<OrgView> {
    const res = await call(owner, {
      method: "POST",
      url: "/api/orgs",
      payload: { name: `Org ${tag()}`, slug: `org-${tag()}`, ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<OrgView>();
  }

  /** Invites the member and has them accept, so they are an active member. */
  async function addMember(
    owner: TestUser,
    orgId: string,
    member: TestUser,
    role: "owner" | "admin" | "member" = "member",
  ): Promise<void> {
    await invite(owner, orgId, member, role);
    await accept(member, orgId);
  }

  async function invite(
    owner: TestUser,
    orgId: string,
    member: TestUser,
    role: "owner" | "admin" | "member" = "member",
  ): Promise<MemberView> {
    const res = await call(owner, {
      method: "POST",
      url: `/api/orgs/${orgId}/members`,
      payload: { user_id: member.id, role },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<MemberView>();
  }

  async function accept(member: TestUser, orgId: string): Promise<OrgView> {
    const res = await call(member, { method: "POST", url: `/api/orgs/${orgId}/invitation/accept` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<OrgView>();
  }

  async function invitations(user: TestUser): Promise<InvitationList["items"]> {
    const res = await call(user, { method: "GET", url: "/api/users/me/invitations" });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<InvitationList>().items;
  }

  async function members(user: TestUser, orgId: string): Promise<MemberView[]> {
    const res = await call(user, { method: "GET", url: `/api/orgs/${orgId}/members` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<MemberList>().items;
  }

  function expectProblem(
    res: { statusCode: number; headers: Record<string, unknown>; body: string; json<T>(): T },
    status: number,
    code: string,
  ): Problem {
    expect(res.statusCode, res.body).toBe(status);
    expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
    const body = res.json<Problem>();
    expect(body).toMatchObject({ status, code, type: `urn:switchyard:error:${code}` });
    expect(typeof body.title).toBe("string");
    expect(typeof body.detail).toBe("string");
    expect(body.request_id).toBe(res.headers["x-request-id"]);
    return body;
  }

  /** Every route of the file, aimed at one org, with a valid body where it takes one. */
  function everyRoute(orgId: string, memberId: string): Call[] {
    return [
      { method: "GET", url: "/api/orgs" },
      { method: "POST", url: "/api/orgs", payload: { name: "Nope", slug: `nope-${tag()}` } },
      { method: "GET", url: `/api/orgs/${orgId}` },
      { method: "PATCH", url: `/api/orgs/${orgId}`, payload: { name: "Taken over" } },
      { method: "DELETE", url: `/api/orgs/${orgId}` },
      { method: "GET", url: `/api/orgs/${orgId}/members` },
      { method: "POST", url: `/api/orgs/${orgId}/members`, payload: { user_id: memberId, role: "owner" } },
      { method: "PATCH", url: `/api/orgs/${orgId}/members/${memberId}`, payload: { role: "member" } },
      { method: "DELETE", url: `/api/orgs/${orgId}/members/${memberId}` },
      { method: "POST", url: `/api/orgs/${orgId}/invitation/accept` },
    ];
  }

  describe("happy paths", () => {
    it("creates an org with the caller as its owner (201)", async () => {
      const alice = await t().newUser();
      const slug = `acme-${tag()}`;
      const res = await call(alice, { method: "POST", url: "/api/orgs", payload: { name: "Acme", slug } });
      expect(res.statusCode, res.body).toBe(201);
      const org = res.json<OrgView>();
      expect(org).toMatchObject({ name: "Acme", slug, role: "owner" });
      expect(org.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(new Date(org.created_at).toISOString()).toBe(org.created_at);

      expect(await members(alice, org.id)).toEqual([
        {
          user_id: alice.id,
          email: alice.email,
          role: "owner",
          status: "active",
          created_at: expect.any(String),
        },
      ]);
      const row = await t()
        .sy.db.selectFrom("memberships")
        .selectAll()
        .where("org_id", "=", org.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ user_id: alice.id, role: "owner" });
    });

    it("derives a slug from the name when none is given", async () => {
      const alice = await t().newUser();
      const name = `Déjà Vu Labs ${tag()}`;
      const org = await createOrg(alice, { name, slug: undefined });
      expect(org.slug).toBe(`deja-vu-labs-${name.slice(-10)}`);
    });

    it("lists the caller's orgs with their role, by name", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const zeta = await createOrg(alice, { name: `Zeta ${tag()}` });
      const alpha = await createOrg(alice, { name: `Alpha ${tag()}` });
      const bobs = await createOrg(bob, { name: `Bob's ${tag()}` });
      await addMember(bob, bobs.id, alice, "admin");

      const res = await call(alice, { method: "GET", url: "/api/orgs" });
      expect(res.statusCode).toBe(200);
      const items = res.json<OrgList>().items;
      expect(items.map((o) => [o.id, o.role])).toEqual([
        [alpha.id, "owner"],
        [bobs.id, "admin"],
        [zeta.id, "owner"],
      ]);
    });

    it("lists nothing for a user in no org", async () => {
      const loner = await t().newUser();
      const res = await call(loner, { method: "GET", url: "/api/orgs" });
      expect(res.statusCode).toBe(200);
      expect(res.json<OrgList>()).toEqual({ items: [] });
    });

    it("reads an org the caller belongs to", async () => {
      const alice = await t().newUser();
      const org = await createOrg(alice);
      const res = await call(alice, { method: "GET", url: `/api/orgs/${org.id}` });
      expect(res.statusCode).toBe(200);
      expect(res.json<OrgView>()).toEqual(org);
    });

    it("renames an org (name and slug) and the change sticks", async () => {
      const alice = await t().newUser();
      const org = await createOrg(alice);
      const slug = `renamed-${tag()}`;
      const res = await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${org.id}`,
        payload: { name: "Renamed", slug },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<OrgView>()).toMatchObject({ id: org.id, name: "Renamed", slug, role: "owner" });

      const again = await call(alice, { method: "GET", url: `/api/orgs/${org.id}` });
      expect(again.json<OrgView>()).toMatchObject({ name: "Renamed", slug });
    });

    it("lets an org admin rename the org", async () => {
      const alice = await t().newUser();
      const carol = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, carol, "admin");
      const res = await call(carol, {
        method: "PATCH",
        url: `/api/orgs/${org.id}`,
        payload: { name: "By carol" },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<OrgView>()).toMatchObject({ name: "By carol", role: "admin" });
    });

    it("adds a member by email (201), who accepts, and lists members in the order they joined", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      const res = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { email: bob.email, role: "member" },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<MemberView>()).toEqual({
        user_id: bob.id,
        email: bob.email,
        role: "member",
        status: "invited",
        created_at: expect.any(String),
      });
      expect((await members(alice, org.id)).map((m) => [m.user_id, m.role, m.status])).toEqual([
        [alice.id, "owner", "active"],
        [bob.id, "member", "invited"],
      ]);
      expect(await accept(bob, org.id)).toEqual({ ...org, role: "member" });

      const listed = await members(alice, org.id);
      expect(listed.map((m) => [m.user_id, m.role, m.status])).toEqual([
        [alice.id, "owner", "active"],
        [bob.id, "member", "active"],
      ]);
      // Any member may read the list, and now sees the org in their own list.
      expect(await members(bob, org.id)).toEqual(listed);
      const bobsOrgs = await call(bob, { method: "GET", url: "/api/orgs" });
      expect(bobsOrgs.json<OrgList>().items).toEqual([
        expect.objectContaining({ id: org.id, role: "member" }),
      ]);
    });

    it("adds a member by email whatever its case and surrounding spaces", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      const res = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { email: `  ${bob.email.toUpperCase()} `, role: "member" },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<MemberView>()).toMatchObject({ user_id: bob.id, email: bob.email });
    });

    it("adds a member by user id (201)", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      const res = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { user_id: bob.id, role: "admin" },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<MemberView>()).toMatchObject({
        user_id: bob.id,
        email: bob.email,
        role: "admin",
        status: "invited",
      });
      await accept(bob, org.id);
      const got = await call(bob, { method: "GET", url: `/api/orgs/${org.id}` });
      expect(got.json<OrgView>()).toMatchObject({ id: org.id, role: "admin" });
    });

    it("changes a member's role (200)", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob, "member");
      const res = await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${bob.id}`,
        payload: { role: "owner" },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<MemberView>()).toMatchObject({ user_id: bob.id, email: bob.email, role: "owner" });
      expect((await members(alice, org.id)).find((m) => m.user_id === bob.id)?.role).toBe("owner");
    });

    it("removes a member (204) and lets a member leave (204)", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const carol = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob);
      await addMember(alice, org.id, carol);

      const removed = await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${bob.id}` });
      expect(removed.statusCode, removed.body).toBe(204);
      expect(removed.body).toBe("");
      const left = await call(carol, { method: "DELETE", url: `/api/orgs/${org.id}/members/${carol.id}` });
      expect(left.statusCode, left.body).toBe(204);

      expect((await members(alice, org.id)).map((m) => m.user_id)).toEqual([alice.id]);
      // Once out, the org is gone for them.
      expect((await call(bob, { method: "GET", url: `/api/orgs/${org.id}` })).statusCode).toBe(404);
      expect((await call(carol, { method: "GET", url: "/api/orgs" })).json<OrgList>().items).toEqual([]);
    });

    it("deletes an org (204) with its memberships", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob);

      const res = await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}` });
      expect(res.statusCode, res.body).toBe(204);
      expect(res.body).toBe("");

      expectProblem(await call(alice, { method: "GET", url: `/api/orgs/${org.id}` }), 404, "not_found");
      expect((await call(bob, { method: "GET", url: "/api/orgs" })).json<OrgList>().items).toEqual([]);
      const rows = await t()
        .sy.db.selectFrom("memberships")
        .selectAll()
        .where("org_id", "=", org.id)
        .execute();
      expect(rows).toEqual([]);
    });
  });

  describe("errors", () => {
    it("answers 401 on every route without a token", async () => {
      const alice = await t().newUser();
      const org = await createOrg(alice);
      for (const request of everyRoute(org.id, alice.id)) {
        const res = await call(undefined, request);
        expectProblem(res, 401, "unauthorized");
      }
      // Nothing changed.
      expect(await members(alice, org.id)).toHaveLength(1);
    });

    it("answers 401 on every route with a garbage or malformed token", async () => {
      const alice = await t().newUser();
      const org = await createOrg(alice);
      const garbage = [
        { authorization: "Bearer not-a-token" },
        { authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl" },
        { authorization: `Bearer sy-${"x".repeat(40)}` },
        { authorization: "Basic dXNlcjpwYXNz" },
        { authorization: alice.accessToken },
      ];
      for (const headers of garbage) {
        for (const request of everyRoute(org.id, alice.id)) {
          const res = await call(undefined, request, headers);
          expectProblem(res, 401, "unauthorized");
        }
      }
      expect(await members(alice, org.id)).toHaveLength(1);
    });

    it("answers 404 for an org the caller is not a member of, and for an unknown id", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      const unknown = randomUUID();

      const notMember = expectProblem(
        await call(bob, { method: "GET", url: `/api/orgs/${org.id}` }),
        404,
        "not_found",
      );
      const missing = expectProblem(
        await call(bob, { method: "GET", url: `/api/orgs/${unknown}` }),
        404,
        "not_found",
      );
      // The two are told apart by nothing, so ids do not reveal which orgs exist.
      expect(notMember.detail).toBe(missing.detail);

      for (const request of everyRoute(unknown, alice.id).filter((r) => r.url !== "/api/orgs")) {
        expectProblem(await call(alice, request), 404, "not_found");
      }
    });

    it("answers 404 for an unknown user, and for a member that is not one", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);

      const byEmail = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { email: `nobody-${tag()}@example.test`, role: "member" },
      });
      expectProblem(byEmail, 404, "not_found");
      const byId = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { user_id: randomUUID(), role: "member" },
      });
      expectProblem(byId, 404, "not_found");

      // Bob exists but is not a member.
      const patch = await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${bob.id}`,
        payload: { role: "admin" },
      });
      expectProblem(patch, 404, "not_found");
      const remove = await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${bob.id}` });
      expectProblem(remove, 404, "not_found");
    });

    it("answers 403 when a plain member adds, changes or removes members, renames or deletes", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const carol = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob, "member");

      const attempts: Call[] = [
        {
          method: "POST",
          url: `/api/orgs/${org.id}/members`,
          payload: { email: carol.email, role: "member" },
        },
        { method: "POST", url: `/api/orgs/${org.id}/members`, payload: { user_id: carol.id, role: "owner" } },
        { method: "PATCH", url: `/api/orgs/${org.id}/members/${alice.id}`, payload: { role: "member" } },
        { method: "PATCH", url: `/api/orgs/${org.id}/members/${bob.id}`, payload: { role: "admin" } },
        { method: "DELETE", url: `/api/orgs/${org.id}/members/${alice.id}` },
        { method: "PATCH", url: `/api/orgs/${org.id}`, payload: { name: "Mine now" } },
        { method: "DELETE", url: `/api/orgs/${org.id}` },
      ];
      for (const request of attempts) {
        expectProblem(await call(bob, request), 403, "forbidden");
      }
      const after = await members(alice, org.id);
      expect(after.map((m) => [m.user_id, m.role])).toEqual([
        [alice.id, "owner"],
        [bob.id, "member"],
      ]);
      expect((await call(alice, { method: "GET", url: `/api/orgs/${org.id}` })).json<OrgView>().name).toBe(
        org.name,
      );
    });

    it("answers 403 when an org admin grants owner or deletes the org", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const carol = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob, "admin");

      const grant = await call(bob, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { user_id: carol.id, role: "owner" },
      });
      expectProblem(grant, 403, "forbidden");
      const demote = await call(bob, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${alice.id}`,
        payload: { role: "member" },
      });
      expectProblem(demote, 403, "forbidden");
      expectProblem(await call(bob, { method: "DELETE", url: `/api/orgs/${org.id}` }), 403, "forbidden");
      expect((await call(alice, { method: "GET", url: `/api/orgs/${org.id}` })).statusCode).toBe(200);
    });

    it("answers 409 for a slug in use, on create and on rename", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const first = await createOrg(alice);

      const dup = await call(bob, {
        method: "POST",
        url: "/api/orgs",
        payload: { name: "Copycat", slug: first.slug },
      });
      const problem = expectProblem(dup, 409, "conflict");
      expect(problem.errors?.[0]?.field).toBe("/slug");
      // Bob got no org out of it.
      expect((await call(bob, { method: "GET", url: "/api/orgs" })).json<OrgList>().items).toEqual([]);

      const second = await createOrg(alice);
      const rename = await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${second.id}`,
        payload: { slug: first.slug },
      });
      expect(expectProblem(rename, 409, "conflict").errors?.[0]?.field).toBe("/slug");
      expect((await call(alice, { method: "GET", url: `/api/orgs/${second.id}` })).json<OrgView>().slug).toBe(
        second.slug,
      );
    });

    it("gives a derived slug a suffix instead of a 409 when it is taken", async () => {
      const alice = await t().newUser();
      const name = `Twin ${tag()}`;
      const a = await createOrg(alice, { name, slug: undefined });
      const b = await createOrg(alice, { name, slug: undefined });
      expect(b.slug).not.toBe(a.slug);
      expect(b.slug.startsWith(`${a.slug}-`)).toBe(true);
    });

    it("answers 409 when adding someone who is already a member or invited", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const carol = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob);
      await invite(alice, org.id, carol);
      const invitedAgain = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { email: carol.email, role: "admin" },
      });
      expectProblem(invitedAgain, 409, "conflict");
      const byId = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { user_id: bob.id, role: "admin" },
      });
      expectProblem(byId, 409, "conflict");
      const byEmail = await call(alice, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { email: alice.email, role: "member" },
      });
      expectProblem(byEmail, 409, "conflict");
      expect((await members(alice, org.id)).map((m) => [m.user_id, m.role, m.status])).toEqual([
        [alice.id, "owner", "active"],
        [bob.id, "member", "active"],
        [carol.id, "member", "invited"],
      ]);
    });

    it("answers 422 naming the field for a bad slug, a blank or missing name, or an extra field", async () => {
      const alice = await t().newUser();
      const org = await createOrg(alice);
      const cases: { request: Call; field: string }[] = [
        {
          request: { method: "POST", url: "/api/orgs", payload: { name: "X", slug: "Bad Slug!" } },
          field: "/slug",
        },
        {
          request: { method: "POST", url: "/api/orgs", payload: { name: "X", slug: "-edge-" } },
          field: "/slug",
        },
        {
          request: { method: "POST", url: "/api/orgs", payload: { name: "X", slug: "a".repeat(101) } },
          field: "/slug",
        },
        { request: { method: "POST", url: "/api/orgs", payload: { slug: `s-${tag()}` } }, field: "/name" },
        { request: { method: "POST", url: "/api/orgs", payload: { name: "   " } }, field: "/name" },
        {
          request: {
            method: "POST",
            url: "/api/orgs",
            payload: { name: "X", slug: `s-${tag()}`, color: "red" },
          },
          field: "/color",
        },
        {
          request: { method: "PATCH", url: `/api/orgs/${org.id}`, payload: { slug: "UPPER" } },
          field: "/slug",
        },
        {
          request: { method: "PATCH", url: `/api/orgs/${org.id}`, payload: { owner: alice.id } },
          field: "/owner",
        },
        {
          request: {
            method: "POST",
            url: `/api/orgs/${org.id}/members`,
            payload: { email: alice.email, role: "king" },
          },
          field: "/role",
        },
        {
          request: {
            method: "POST",
            url: `/api/orgs/${org.id}/members`,
            payload: { user_id: "bob", role: "member" },
          },
          field: "/user_id",
        },
        {
          request: { method: "POST", url: `/api/orgs/${org.id}/members`, payload: { role: "member" } },
          field: "/user_id",
        },
        {
          request: {
            method: "PATCH",
            url: `/api/orgs/${org.id}/members/${alice.id}`,
            payload: { role: "owner", admin: true },
          },
          field: "/admin",
        },
      ];
      for (const { request, field } of cases) {
        const problem = expectProblem(await call(alice, request), 422, "validation_failed");
        expect(problem.errors?.[0]?.field, JSON.stringify(request)).toBe(field);
      }
      // None of it changed the org.
      const got = await call(alice, { method: "GET", url: `/api/orgs/${org.id}` });
      expect(got.json<OrgView>()).toEqual(org);
    });

    it("answers 422 naming the parameter for an id that is not a uuid", async () => {
      const alice = await t().newUser();
      const org = await createOrg(alice);
      const cases: { request: Call; field: string }[] = [
        { request: { method: "GET", url: "/api/orgs/not-a-uuid" }, field: "params:/orgId" },
        {
          request: { method: "PATCH", url: "/api/orgs/123", payload: { name: "X" } },
          field: "params:/orgId",
        },
        { request: { method: "DELETE", url: "/api/orgs/123" }, field: "params:/orgId" },
        { request: { method: "GET", url: "/api/orgs/123/members" }, field: "params:/orgId" },
        {
          request: {
            method: "POST",
            url: "/api/orgs/123/members",
            payload: { user_id: alice.id, role: "member" },
          },
          field: "params:/orgId",
        },
        {
          request: { method: "PATCH", url: `/api/orgs/${org.id}/members/nope`, payload: { role: "member" } },
          field: "params:/userId",
        },
        { request: { method: "DELETE", url: `/api/orgs/${org.id}/members/nope` }, field: "params:/userId" },
        { request: { method: "POST", url: "/api/orgs/123/invitation/accept" }, field: "params:/orgId" },
      ];
      for (const { request, field } of cases) {
        const problem = expectProblem(await call(alice, request), 422, "validation_failed");
        expect(problem.errors?.[0]?.field, request.url).toBe(field);
      }
    });

    it("answers 400 removing, demoting or letting go of the last owner", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob, "admin");

      const leave = await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${alice.id}` });
      expectProblem(leave, 400, "bad_request");
      const demote = await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${alice.id}`,
        payload: { role: "admin" },
      });
      expectProblem(demote, 400, "bad_request");
      // A Switchyard admin may remove anyone, but not the last owner either.
      const byAdmin = await call(t().admin, {
        method: "DELETE",
        url: `/api/orgs/${org.id}/members/${alice.id}`,
      });
      expectProblem(byAdmin, 400, "bad_request");

      expect((await members(alice, org.id)).map((m) => [m.user_id, m.role])).toEqual([
        [alice.id, "owner"],
        [bob.id, "admin"],
      ]);

      // With a second owner, the first may go.
      await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${bob.id}`,
        payload: { role: "owner" },
      });
      const now = await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${alice.id}` });
      expect(now.statusCode, now.body).toBe(204);
    });
  });

  describe("security", () => {
    it("answers 404 on every route of A's org to B, and changes nothing", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      const before = await members(alice, org.id);

      for (const request of everyRoute(org.id, alice.id).filter((r) => r.url !== "/api/orgs")) {
        const res = await call(bob, request);
        expectProblem(res, 404, "not_found");
        // Nothing about the org leaks into the answer.
        expect(res.body).not.toContain(org.name);
        expect(res.body).not.toContain(org.slug);
        expect(res.body).not.toContain(alice.email);
      }
      // Bob cannot add himself either, by id or by email, in any role.
      for (const payload of [
        { user_id: bob.id, role: "owner" },
        { email: bob.email, role: "member" },
      ]) {
        const res = await call(bob, { method: "POST", url: `/api/orgs/${org.id}/members`, payload });
        expectProblem(res, 404, "not_found");
      }

      const after = await call(alice, { method: "GET", url: `/api/orgs/${org.id}` });
      expect(after.json<OrgView>()).toEqual(org);
      expect(await members(alice, org.id)).toEqual(before);
    });

    it("never lists A's orgs to B", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const aliceOrg = await createOrg(alice);
      const bobOrg = await createOrg(bob);
      const res = await call(bob, { method: "GET", url: "/api/orgs" });
      const ids = res.json<OrgList>().items.map((o) => o.id);
      expect(ids).toEqual([bobOrg.id]);
      expect(ids).not.toContain(aliceOrg.id);
      expect(res.body).not.toContain(aliceOrg.slug);
    });

    it("lets B, an admin of B's org, do nothing to A's org or A's membership through it", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const aliceOrg = await createOrg(alice);
      const bobOrg = await createOrg(bob);
      // Bob manages his own org; the user id of alice in a path under his org is not a member there.
      const res = await call(bob, { method: "DELETE", url: `/api/orgs/${bobOrg.id}/members/${alice.id}` });
      expectProblem(res, 404, "not_found");
      // A member path that mixes Bob's org into Alice's url is still Alice's org to Bob.
      const cross = await call(bob, {
        method: "PATCH",
        url: `/api/orgs/${aliceOrg.id}/members/${bob.id}`,
        payload: { role: "owner" },
      });
      expectProblem(cross, 404, "not_found");
      expect(await members(alice, aliceOrg.id)).toEqual([
        expect.objectContaining({ user_id: alice.id, role: "owner" }),
      ]);
    });

    it("lets a Switchyard admin read any org and its members, with no role of their own", async () => {
      const alice = await t().newUser();
      const org = await createOrg(alice);
      const res = await call(t().admin, { method: "GET", url: `/api/orgs/${org.id}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<OrgView>()).toEqual({ ...org, role: null });

      const list = await call(t().admin, { method: "GET", url: `/api/orgs/${org.id}/members` });
      expect(list.statusCode).toBe(200);
      expect(list.json<MemberList>().items.map((m) => m.user_id)).toEqual([alice.id]);

      // A second admin made later is no different; the org still does not show in their own list.
      const admin2 = await t().newUser({ admin: true });
      expect((await call(admin2, { method: "GET", url: `/api/orgs/${org.id}` })).statusCode).toBe(200);
      const own = await call(admin2, { method: "GET", url: "/api/orgs" });
      expect(own.json<OrgList>().items.map((o) => o.id)).not.toContain(org.id);
    });

    it("does not let a former member back in after removal", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, bob, "admin");
      const removed = await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${bob.id}` });
      expect(removed.statusCode).toBe(204);
      for (const request of everyRoute(org.id, alice.id).filter((r) => r.url !== "/api/orgs")) {
        expectProblem(await call(bob, request), 404, "not_found");
      }
    });
  });

  describe("invitations", () => {
    it("makes someone a member only once they accept: until then 404 everywhere, listed only as an invitation", async () => {
      const bob = await t().newUser();
      const alice = await t().newUser();
      const org = await createOrg(bob);
      const invited = await invite(bob, org.id, alice, "admin");
      expect(invited).toMatchObject({ user_id: alice.id, role: "admin", status: "invited" });

      // Every org route answers alice as it answers a stranger, and nothing of the org leaks.
      const routes = everyRoute(org.id, alice.id).filter(
        (r) =>
          r.url !== "/api/orgs" &&
          !r.url.endsWith("/invitation/accept") &&
          r.url !== `/api/orgs/${org.id}/members/${alice.id}`,
      );
      for (const request of routes) {
        const res = await call(alice, request);
        expectProblem(res, 404, "not_found");
        expect(res.body).not.toContain(org.slug);
      }
      // Nor may she touch anyone else's membership, though she may decline her own (below).
      expectProblem(
        await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${bob.id}` }),
        404,
        "not_found",
      );
      expectProblem(
        await call(alice, {
          method: "PATCH",
          url: `/api/orgs/${org.id}/members/${alice.id}`,
          payload: { role: "owner" },
        }),
        404,
        "not_found",
      );
      const mine = await call(alice, { method: "GET", url: "/api/orgs" });
      expect(mine.json<OrgList>().items).toEqual([]);
      expect(await invitations(alice)).toEqual([
        { org_id: org.id, name: org.name, slug: org.slug, role: "admin", invited_at: invited.created_at },
      ]);
      // The inviter sees nothing of alice's invitations, only their own (none).
      expect(await invitations(bob)).toEqual([]);

      expect(await accept(alice, org.id)).toEqual({ ...org, role: "admin" });
      expect(await invitations(alice)).toEqual([]);
      expect((await call(alice, { method: "GET", url: "/api/orgs" })).json<OrgList>().items).toEqual([
        { ...org, role: "admin" },
      ]);
      expect((await call(alice, { method: "GET", url: `/api/orgs/${org.id}` })).statusCode).toBe(200);
      expect((await members(alice, org.id)).map((m) => [m.user_id, m.status])).toEqual([
        [bob.id, "active"],
        [alice.id, "active"],
      ]);
      // Accepting twice: she is a member already.
      expectProblem(
        await call(alice, { method: "POST", url: `/api/orgs/${org.id}/invitation/accept` }),
        409,
        "conflict",
      );
    });

    it("answers 404 to accept without an invitation, and 401 on the invitation routes without a token", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      expectProblem(
        await call(bob, { method: "POST", url: `/api/orgs/${org.id}/invitation/accept` }),
        404,
        "not_found",
      );
      expectProblem(
        await call(bob, { method: "POST", url: `/api/orgs/${randomUUID()}/invitation/accept` }),
        404,
        "not_found",
      );
      expectProblem(
        await call(undefined, { method: "GET", url: "/api/users/me/invitations" }),
        401,
        "unauthorized",
      );
      expect(await members(alice, org.id)).toHaveLength(1);
    });

    it("makes a Switchyard admin's additions active at once", async () => {
      const bob = await t().newUser();
      const alice = await t().newUser();
      const org = await createOrg(bob);
      const res = await call(t().admin, {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        payload: { email: alice.email, role: "member" },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<MemberView>()).toMatchObject({ user_id: alice.id, status: "active" });
      expect(await invitations(alice)).toEqual([]);
      const got = await call(alice, { method: "GET", url: `/api/orgs/${org.id}` });
      expect(got.statusCode, got.body).toBe(200);
      expect(got.json<OrgView>().role).toBe("member");
    });

    it("does not count an invited owner as an owner", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const org = await createOrg(alice);
      await invite(alice, org.id, bob, "owner");

      // Alice is still the last owner: she can neither leave nor step down.
      expectProblem(
        await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${alice.id}` }),
        400,
        "bad_request",
      );
      expectProblem(
        await call(alice, {
          method: "PATCH",
          url: `/api/orgs/${org.id}/members/${alice.id}`,
          payload: { role: "member" },
        }),
        400,
        "bad_request",
      );
      // And bob may do nothing an owner may.
      expectProblem(
        await call(bob, { method: "PATCH", url: `/api/orgs/${org.id}`, payload: { name: "Bob's" } }),
        404,
        "not_found",
      );
      expectProblem(await call(bob, { method: "DELETE", url: `/api/orgs/${org.id}` }), 404, "not_found");
      // Withdrawing or demoting an invited owner leaves the owner count as it was, so it is allowed.
      const demoted = await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${bob.id}`,
        payload: { role: "admin" },
      });
      expect(demoted.statusCode, demoted.body).toBe(200);
      expect(demoted.json<MemberView>()).toMatchObject({ role: "admin", status: "invited" });
      await call(alice, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${bob.id}`,
        payload: { role: "owner" },
      });

      // Once bob accepts he is an owner, and alice may go.
      expect((await accept(bob, org.id)).role).toBe("owner");
      const left = await call(alice, { method: "DELETE", url: `/api/orgs/${org.id}/members/${alice.id}` });
      expect(left.statusCode, left.body).toBe(204);
      expect((await members(bob, org.id)).map((m) => [m.user_id, m.role, m.status])).toEqual([
        [bob.id, "owner", "active"],
      ]);
    });

    it("lets managers change and withdraw an invitation, and the invitee decline it", async () => {
      const alice = await t().newUser();
      const bob = await t().newUser();
      const carol = await t().newUser();
      const org = await createOrg(alice);
      await addMember(alice, org.id, carol, "admin");

      // An org admin changes the invited role and withdraws the invitation.
      await invite(carol, org.id, bob, "member");
      const changed = await call(carol, {
        method: "PATCH",
        url: `/api/orgs/${org.id}/members/${bob.id}`,
        payload: { role: "admin" },
      });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json<MemberView>()).toMatchObject({ user_id: bob.id, role: "admin", status: "invited" });
      expect((await invitations(bob)).map((i) => [i.org_id, i.role])).toEqual([[org.id, "admin"]]);
      const withdrawn = await call(carol, { method: "DELETE", url: `/api/orgs/${org.id}/members/${bob.id}` });
      expect(withdrawn.statusCode, withdrawn.body).toBe(204);
      expect(await invitations(bob)).toEqual([]);
      expectProblem(
        await call(bob, { method: "POST", url: `/api/orgs/${org.id}/invitation/accept` }),
        404,
        "not_found",
      );

      // Invited again, bob declines: he removes his own membership, pending as it is.
      await invite(alice, org.id, bob, "owner");
      const declined = await call(bob, { method: "DELETE", url: `/api/orgs/${org.id}/members/${bob.id}` });
      expect(declined.statusCode, declined.body).toBe(204);
      expect(await invitations(bob)).toEqual([]);
      expect((await members(alice, org.id)).map((m) => m.user_id)).toEqual([alice.id, carol.id]);
      expectProblem(
        await call(bob, { method: "POST", url: `/api/orgs/${org.id}/invitation/accept` }),
        404,
        "not_found",
      );
      expect((await call(bob, { method: "GET", url: "/api/orgs" })).json<OrgList>().items).toEqual([]);
    });
  });
});
