import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { type Actor, systemActor, type UserActor, userActor } from "../../src/domain/actor.js";
import type { AuditEvent, AuditRecorder } from "../../src/domain/audit/audit.types.js";
import { AppError } from "../../src/domain/errors.js";
import { createOrgsRepo } from "../../src/domain/orgs/orgs.repo.js";
import type { OrgRole } from "../../src/domain/orgs/orgs.schemas.js";
import { createOrgsService, type OrgsService } from "../../src/domain/orgs/orgs.service.js";
import { describeEachDialect, useMigratedDatabase } from "../support/databases.js";

// Real: the database of each dialect, the repo and the service. Fake: the audit recorder, which only
// remembers what it was asked to record (the audit service is tested on its own).

interface RecordedAudit {
  actor: Actor;
  event: AuditEvent;
}

function createRecordingAuditFake(): Pick<AuditRecorder, "record"> & { events: RecordedAudit[] } {
  const events: RecordedAudit[] = [];
  return {
    events,
    async record(actor, event) {
      events.push({ actor, event });
    },
  };
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

/** A short tag no other test has, for slugs and emails (the database is shared by the file's tests). */
const tag = () => uuidv7().replaceAll("-", "").slice(-12);

describeEachDialect("orgs service", (dialect) => {
  const ctx = useMigratedDatabase(dialect);

  function setup(): { orgs: OrgsService; audit: ReturnType<typeof createRecordingAuditFake> } {
    const audit = createRecordingAuditFake();
    const db = ctx().db;
    return {
      orgs: createOrgsService({
        db,
        repo: createOrgsRepo({ db, dialect }),
        audit,
        onMembershipChange: async () => {},
      }),
      audit,
    };
  }

  async function newUser(
    roles: readonly string[] = ["user"],
    options: { email?: string; status?: "active" | "disabled" } = {},
  ): Promise<UserActor & { email: string }> {
    const id = uuidv7();
    const email = options.email ?? `u-${tag()}@example.test`;
    await ctx()
      .db.insertInto("users")
      .values({ id, email, password_hash: null, status: options.status ?? "active" })
      .execute();
    return { ...userActor(id, roles), email };
  }

  async function ownerCount(orgId: string): Promise<number> {
    const rows = await ctx()
      .db.selectFrom("memberships")
      .select("user_id")
      .where("org_id", "=", orgId)
      .where("role", "=", "owner")
      .execute();
    return rows.length;
  }

  async function membershipRows(orgId: string): Promise<{ user_id: string; role: OrgRole }[]> {
    return ctx()
      .db.selectFrom("memberships")
      .select(["user_id", "role"])
      .where("org_id", "=", orgId)
      .orderBy("user_id")
      .execute();
  }

  /** An org owned by `owner`, with members invited by the owner at the given roles, who accepted. */
  async function orgWith(orgs: OrgsService, owner: UserActor, members: [UserActor, OrgRole][] = []) {
    const org = await orgs.create(owner, { name: `Org ${tag()}` });
    for (const [member, role] of members) {
      await orgs.addMember(owner, org.id, { user_id: member.userId, role });
      await orgs.acceptInvitation(member, org.id);
    }
    return org;
  }

  it("the creator becomes the owner, in the org row and a membership", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const slug = `acme-${tag()}`;
    const before = Date.now();

    const org = await orgs.create(alice, { name: "  Acme Research  ", slug });
    expect(org).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "Acme Research",
      slug,
      role: "owner",
      created_at: expect.any(String),
      updated_at: org.created_at,
    });
    expect(Date.parse(org.created_at)).toBeGreaterThanOrEqual(before - 1_000);

    expect(await membershipRows(org.id)).toEqual([{ user_id: alice.userId, role: "owner" }]);
    expect(await orgs.get(alice, org.id)).toEqual(org);
    expect((await orgs.listMine(alice)).items).toEqual([org]);
    expect(await orgs.roleIn(org.id, alice.userId)).toBe("owner");
    expect(await orgs.membershipsOf(alice.userId)).toEqual([{ org_id: org.id, role: "owner" }]);
    expect(await orgs.listMembers(alice, org.id)).toEqual({
      items: [
        {
          user_id: alice.userId,
          email: alice.email,
          role: "owner",
          status: "active",
          created_at: org.created_at,
        },
      ],
    });
  });

  it("derives the slug from the name when none is given, adding a suffix when it is taken", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const t = tag();
    const first = await orgs.create(alice, { name: `Ça Marche! Research, Inc. ${t}` });
    expect(first.slug).toBe(`ca-marche-research-inc-${t}`);

    const second = await orgs.create(alice, { name: `Ça Marche! Research, Inc. ${t}` });
    expect(second.slug).toMatch(new RegExp(`^ca-marche-research-inc-${t}-[0-9a-f]{6}$`));

    const noLatin = await orgs.create(alice, { name: "研究所" });
    expect(noLatin.slug).toMatch(/^org(-[0-9a-f]{6})?$/);

    const long = await orgs.create(alice, { name: `${"x".repeat(150)} ${t}` });
    expect(long.slug).toBe("x".repeat(100));
  });

  it("a slug already in use is conflict, and nothing is created", async () => {
    const { orgs, audit } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const slug = `taken-${tag()}`;
    await orgs.create(alice, { name: "First", slug });
    audit.events.length = 0;

    const error = await expectAppError(orgs.create(bob, { name: "Second", slug }), "conflict");
    expect(error.issues).toEqual([{ field: "/slug", message: "is taken" }]);
    expect((await orgs.listMine(bob)).items).toEqual([]);
    expect(await orgs.membershipsOf(bob.userId)).toEqual([]);
    expect(audit.events).toEqual([]);

    // Renaming onto a taken slug is a conflict too.
    const other = await orgs.create(bob, { name: "Other", slug: `other-${tag()}` });
    await expectAppError(orgs.update(bob, other.id, { slug }), "conflict");
  });

  it("rejects invalid names and slugs with validation_failed naming the field", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const badSlug = await expectAppError(
      orgs.create(alice, { name: "X", slug: "Not A Slug" }),
      "validation_failed",
    );
    expect(badSlug.issues[0]?.field).toBe("/slug");
    await expectAppError(orgs.create(alice, { name: "X", slug: "-leading" }), "validation_failed");
    await expectAppError(orgs.create(alice, { name: "X", slug: "x".repeat(101) }), "validation_failed");
    const blank = await expectAppError(orgs.create(alice, { name: "   " }), "validation_failed");
    expect(blank.issues).toEqual([{ field: "/name", message: "must not be blank" }]);
    await expectAppError(orgs.create(alice, { name: "" }), "validation_failed");
    await expectAppError(orgs.create(alice, { name: "n".repeat(201) }), "validation_failed");
    const extra = await expectAppError(
      orgs.create(alice, { name: "X", owner: "someone" } as unknown as { name: string }),
      "validation_failed",
    );
    expect(extra.issues.map((issue) => issue.field)).toEqual(["/owner"]);
    expect((await orgs.listMine(alice)).items).toEqual([]);
  });

  it("only an active user may create an org; a system actor cannot own one", async () => {
    const { orgs } = setup();
    const disabled = await newUser(["user"], { status: "disabled" });
    await expectAppError(orgs.create(disabled, { name: "Nope" }), "forbidden");
    // A user deleted after signing in is not there at all: not_found, as when the deletion wins the race.
    const ghost = userActor(uuidv7(), ["user"]);
    await expectAppError(orgs.create(ghost, { name: "Nope" }), "not_found");
    await expectAppError(orgs.create(systemActor("cli"), { name: "Nope" }), "bad_request");
    expect(await orgs.membershipsOf(disabled.userId)).toEqual([]);
  });

  it("a non-member gets not_found for everything, exactly as for an org that does not exist", async () => {
    const { orgs, audit } = setup();
    const alice = await newUser();
    const mallory = await newUser();
    const org = await orgWith(orgs, alice);
    audit.events.length = 0;

    for (const orgId of [org.id, uuidv7()]) {
      const errors = [
        await expectAppError(orgs.get(mallory, orgId), "not_found"),
        await expectAppError(orgs.update(mallory, orgId, { name: "Mine now" }), "not_found"),
        await expectAppError(orgs.remove(mallory, orgId), "not_found"),
        await expectAppError(orgs.listMembers(mallory, orgId), "not_found"),
        await expectAppError(
          orgs.addMember(mallory, orgId, { user_id: mallory.userId, role: "owner" }),
          "not_found",
        ),
        await expectAppError(
          orgs.updateMember(mallory, orgId, alice.userId, { role: "member" }),
          "not_found",
        ),
        await expectAppError(orgs.removeMember(mallory, orgId, alice.userId), "not_found"),
        await expectAppError(orgs.removeMember(mallory, orgId, mallory.userId), "not_found"),
      ];
      expect(new Set(errors.map((e) => e.message))).toEqual(new Set(["No organization with that id"]));
    }
    expect((await orgs.listMine(mallory)).items).toEqual([]);
    expect(await orgs.get(alice, org.id)).toEqual(org);
    expect(await membershipRows(org.id)).toEqual([{ user_id: alice.userId, role: "owner" }]);
    expect(audit.events).toEqual([]);
  });

  it("a member reads the org and its members but may not change anything", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const mia = await newUser();
    const carol = await newUser();
    const org = await orgWith(orgs, alice, [[mia, "member"]]);

    expect(await orgs.get(mia, org.id)).toEqual({ ...org, role: "member" });
    expect((await orgs.listMine(mia)).items).toEqual([{ ...org, role: "member" }]);
    const members = await orgs.listMembers(mia, org.id);
    expect(members.items.map((m) => [m.user_id, m.email, m.role])).toEqual([
      [alice.userId, alice.email, "owner"],
      [mia.userId, mia.email, "member"],
    ]);

    await expectAppError(orgs.addMember(mia, org.id, { user_id: carol.userId, role: "member" }), "forbidden");
    await expectAppError(orgs.update(mia, org.id, { name: "Renamed" }), "forbidden");
    await expectAppError(orgs.remove(mia, org.id), "forbidden");
    await expectAppError(orgs.updateMember(mia, org.id, mia.userId, { role: "admin" }), "forbidden");
    await expectAppError(orgs.updateMember(mia, org.id, alice.userId, { role: "member" }), "forbidden");
    await expectAppError(orgs.removeMember(mia, org.id, alice.userId), "forbidden");
    expect(await membershipRows(org.id)).toHaveLength(2);
    expect((await orgs.get(alice, org.id)).name).toBe(org.name);
  });

  it("an org admin adds, re-roles and removes members and renames the org, but cannot touch owners", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const adam = await newUser();
    const bob = await newUser();
    const carol = await newUser();
    const org = await orgWith(orgs, alice, [[adam, "admin"]]);

    expect(await orgs.addMember(adam, org.id, { user_id: bob.userId, role: "member" })).toMatchObject({
      user_id: bob.userId,
      email: bob.email,
      role: "member",
    });
    expect(await orgs.updateMember(adam, org.id, bob.userId, { role: "admin" })).toMatchObject({
      role: "admin",
    });
    expect(await orgs.updateMember(adam, org.id, bob.userId, { role: "member" })).toMatchObject({
      role: "member",
    });
    await orgs.removeMember(adam, org.id, bob.userId);
    const renamed = await orgs.update(adam, org.id, { name: "Renamed by admin" });
    expect(renamed).toMatchObject({ name: "Renamed by admin", slug: org.slug, role: "admin" });
    expect(Date.parse(renamed.updated_at)).toBeGreaterThanOrEqual(Date.parse(org.updated_at));

    await expectAppError(orgs.addMember(adam, org.id, { user_id: carol.userId, role: "owner" }), "forbidden");
    await orgs.addMember(adam, org.id, { user_id: carol.userId, role: "member" });
    await expectAppError(orgs.updateMember(adam, org.id, carol.userId, { role: "owner" }), "forbidden");
    await expectAppError(orgs.updateMember(adam, org.id, adam.userId, { role: "owner" }), "forbidden");
    await expectAppError(orgs.updateMember(adam, org.id, alice.userId, { role: "admin" }), "forbidden");
    await expectAppError(orgs.removeMember(adam, org.id, alice.userId), "forbidden");
    await expectAppError(orgs.remove(adam, org.id), "forbidden");

    expect(await membershipRows(org.id)).toEqual(
      [
        { user_id: alice.userId, role: "owner" },
        { user_id: adam.userId, role: "admin" },
        { user_id: carol.userId, role: "member" },
      ].sort((a, b) => a.user_id.localeCompare(b.user_id)),
    );
  });

  it("an owner grants and takes away owner, and removes another owner", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const carol = await newUser();
    const org = await orgWith(orgs, alice, [[bob, "member"]]);

    expect(await orgs.updateMember(alice, org.id, bob.userId, { role: "owner" })).toMatchObject({
      role: "owner",
    });
    expect(await orgs.addMember(alice, org.id, { user_id: carol.userId, role: "owner" })).toMatchObject({
      role: "owner",
      status: "invited",
    });
    await orgs.acceptInvitation(carol, org.id);
    expect(await ownerCount(org.id)).toBe(3);
    // Bob, now an owner, demotes and removes other owners.
    expect(await orgs.updateMember(bob, org.id, alice.userId, { role: "admin" })).toMatchObject({
      role: "admin",
    });
    await orgs.removeMember(bob, org.id, carol.userId);
    expect(await membershipRows(org.id)).toEqual(
      [
        { user_id: alice.userId, role: "admin" },
        { user_id: bob.userId, role: "owner" },
      ].sort((a, b) => a.user_id.localeCompare(b.user_id)),
    );
    // Setting the role a member already has changes nothing and is not an error.
    expect(await orgs.updateMember(bob, org.id, alice.userId, { role: "admin" })).toMatchObject({
      role: "admin",
    });
  });

  it("adds by email ignoring case; unknown users are not_found, existing members conflict", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const t = tag();
    const dora = await newUser(["user"], { email: `Dora.${t}@Example.test` });
    const org = await orgWith(orgs, alice);

    expect(
      await orgs.addMember(alice, org.id, { email: `  dora.${t}@example.TEST `, role: "member" }),
    ).toMatchObject({
      user_id: dora.userId,
      email: dora.email,
      role: "member",
    });
    await expectAppError(orgs.addMember(alice, org.id, { email: dora.email, role: "admin" }), "conflict");
    await expectAppError(
      orgs.addMember(alice, org.id, { user_id: alice.userId, role: "member" }),
      "conflict",
    );
    await expectAppError(orgs.addMember(alice, org.id, { user_id: uuidv7(), role: "member" }), "not_found");
    await expectAppError(
      orgs.addMember(alice, org.id, { email: `nobody-${t}@example.test`, role: "member" }),
      "not_found",
    );
    await expectAppError(orgs.addMember(alice, org.id, { role: "member" }), "validation_failed");
    await expectAppError(
      orgs.addMember(alice, org.id, { user_id: dora.userId, email: dora.email, role: "member" }),
      "validation_failed",
    );
    await expectAppError(
      orgs.addMember(alice, org.id, { user_id: dora.userId, role: "boss" as OrgRole }),
      "validation_failed",
    );
    await expectAppError(orgs.updateMember(alice, org.id, uuidv7(), { role: "admin" }), "not_found");
    await expectAppError(orgs.removeMember(alice, org.id, uuidv7()), "not_found");
    expect(await membershipRows(org.id)).toHaveLength(2);
  });

  it("concurrent adds of the same user: one succeeds, the rest conflict", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const org = await orgWith(orgs, alice);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => orgs.addMember(alice, org.id, { user_id: bob.userId, role: "member" })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "conflict" });
    }
    expect(await membershipRows(org.id)).toHaveLength(2);
  });

  it("the last owner cannot leave, be removed or be demoted, even by a Switchyard admin", async () => {
    const { orgs, audit } = setup();
    const alice = await newUser();
    const adam = await newUser();
    const root = await newUser(["admin"]);
    const org = await orgWith(orgs, alice, [[adam, "admin"]]);
    audit.events.length = 0;

    const leave = await expectAppError(orgs.removeMember(alice, org.id, alice.userId), "bad_request");
    expect(leave.message).toMatch(/last owner cannot leave.*at least one owner/);
    const demote = await expectAppError(
      orgs.updateMember(alice, org.id, alice.userId, { role: "admin" }),
      "bad_request",
    );
    expect(demote.message).toMatch(/last owner cannot be demoted/);
    await expectAppError(orgs.removeMember(root, org.id, alice.userId), "bad_request");
    await expectAppError(orgs.updateMember(root, org.id, alice.userId, { role: "member" }), "bad_request");
    // An org admin is refused for lack of rights before the owner count is considered.
    await expectAppError(orgs.removeMember(adam, org.id, alice.userId), "forbidden");

    expect(await ownerCount(org.id)).toBe(1);
    expect(audit.events).toEqual([]);
  });

  it("with two owners one may leave, and then the other is the last", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const org = await orgWith(orgs, alice, [[bob, "owner"]]);

    await orgs.removeMember(alice, org.id, alice.userId);
    expect(await membershipRows(org.id)).toEqual([{ user_id: bob.userId, role: "owner" }]);
    await expectAppError(orgs.get(alice, org.id), "not_found");
    await expectAppError(orgs.removeMember(bob, org.id, bob.userId), "bad_request");
  });

  it("a member or org admin may leave", async () => {
    const { orgs, audit } = setup();
    const alice = await newUser();
    const mia = await newUser();
    const adam = await newUser();
    const org = await orgWith(orgs, alice, [
      [mia, "member"],
      [adam, "admin"],
    ]);
    audit.events.length = 0;
    await orgs.removeMember(mia, org.id, mia.userId);
    await orgs.removeMember(adam, org.id, adam.userId);
    expect(await membershipRows(org.id)).toEqual([{ user_id: alice.userId, role: "owner" }]);
    expect(audit.events.map((e) => e.event.details)).toEqual([
      { user_id: mia.userId, role: "member", left: true, status: "active" },
      { user_id: adam.userId, role: "admin", left: true, status: "active" },
    ]);
  });

  it("20 concurrent demotions and removals of an org's two owners leave exactly one owner", async () => {
    const { orgs } = setup();
    const root = await newUser(["admin"]);
    // A few rounds, so a guard that only sometimes loses the race is caught.
    for (let round = 0; round < 3; round++) {
      const a = await newUser();
      const b = await newUser();
      const org = await orgWith(orgs, a, [[b, "owner"]]);
      const attempts = Array.from({ length: 20 }, (_, i) => {
        const [target, other] = i % 2 === 0 ? [a, b] : [b, a];
        const actor = [root, target, other][i % 3]!;
        return i % 4 < 2
          ? orgs.updateMember(actor, org.id, target.userId, { role: "member" })
          : orgs.removeMember(actor, org.id, target.userId);
      });
      const results = await Promise.allSettled(attempts);

      expect(results.some((r) => r.status === "fulfilled")).toBe(true);
      for (const result of results) {
        if (result.status === "rejected") {
          // Refused by a rule, never by a deadlock or another database error.
          expect(result.reason).toBeInstanceOf(AppError);
          expect(["bad_request", "forbidden", "not_found"]).toContain((result.reason as AppError).code);
        }
      }
      const owners = await ownerCount(org.id);
      expect(owners).toBeGreaterThanOrEqual(1);
      // Both owners were targeted, so the first change to land made the other the last one.
      expect(owners).toBe(1);
    }
  });

  it("deleting an org takes its memberships with it; only owners may", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const org = await orgWith(orgs, alice, [[bob, "admin"]]);
    await expectAppError(orgs.remove(bob, org.id), "forbidden");

    await orgs.remove(alice, org.id);
    expect(await membershipRows(org.id)).toEqual([]);
    const rows = await ctx().db.selectFrom("organizations").select("id").where("id", "=", org.id).execute();
    expect(rows).toEqual([]);
    expect(await orgs.membershipsOf(bob.userId)).toEqual([]);
    expect(await orgs.roleIn(org.id, alice.userId)).toBeNull();
    await expectAppError(orgs.get(alice, org.id), "not_found");
    await expectAppError(orgs.remove(alice, org.id), "not_found");
  });

  it("deleting a user removes their memberships and leaves the org", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const org = await orgWith(orgs, alice, [[bob, "member"]]);
    await ctx().db.deleteFrom("users").where("id", "=", bob.userId).execute();
    expect(await membershipRows(org.id)).toEqual([{ user_id: alice.userId, role: "owner" }]);
    expect(await orgs.membershipsOf(bob.userId)).toEqual([]);
    expect((await orgs.listMembers(alice, org.id)).items.map((m) => m.user_id)).toEqual([alice.userId]);
  });

  it("records every mutation in the audit trail, and nothing for reads, no-ops or refusals", async () => {
    const { orgs, audit } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const slug = `audited-${tag()}`;

    const org = await orgs.create(alice, { name: "Audited", slug });
    await orgs.update(alice, org.id, { name: "Audited 2" });
    await orgs.update(alice, org.id, { name: "Audited 2" });
    await orgs.addMember(alice, org.id, { user_id: bob.userId, role: "member" });
    await orgs.acceptInvitation(bob, org.id);
    await expectAppError(orgs.acceptInvitation(bob, org.id), "conflict");
    await orgs.listInvitations(bob);
    await orgs.updateMember(alice, org.id, bob.userId, { role: "admin" });
    await orgs.updateMember(alice, org.id, bob.userId, { role: "admin" });
    await orgs.removeMember(alice, org.id, bob.userId);
    await orgs.get(alice, org.id);
    await orgs.listMembers(alice, org.id);
    await expectAppError(orgs.removeMember(alice, org.id, alice.userId), "bad_request");
    await orgs.remove(alice, org.id);

    const base = { resourceType: "organization", resourceId: org.id };
    expect(audit.events).toEqual([
      { actor: alice, event: { ...base, action: "org.create", details: { name: "Audited", slug } } },
      {
        actor: alice,
        event: { ...base, action: "org.update", details: { name: { from: "Audited", to: "Audited 2" } } },
      },
      {
        actor: alice,
        event: {
          ...base,
          action: "org.member.add",
          details: { user_id: bob.userId, role: "member", status: "invited" },
        },
      },
      {
        actor: bob,
        event: {
          ...base,
          action: "org.invitation_accepted",
          details: { user_id: bob.userId, role: "member" },
        },
      },
      {
        actor: alice,
        event: {
          ...base,
          action: "org.member.update",
          details: { user_id: bob.userId, from: "member", to: "admin" },
        },
      },
      {
        actor: alice,
        event: {
          ...base,
          action: "org.member.remove",
          details: { user_id: bob.userId, role: "admin", left: false, status: "active" },
        },
      },
      { actor: alice, event: { ...base, action: "org.delete", details: { name: "Audited 2", slug } } },
    ]);
  });

  it("a Switchyard admin manages any org without being a member", async () => {
    const { orgs, audit } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const root = await newUser(["admin"]);
    const org = await orgWith(orgs, alice);

    expect(await orgs.get(root, org.id)).toEqual({ ...org, role: null });
    expect((await orgs.listMine(root)).items).toEqual([]);
    expect((await orgs.listMembers(root, org.id)).items).toHaveLength(1);
    const newSlug = `root-${tag()}`;
    expect(await orgs.update(root, org.id, { name: "By root", slug: newSlug })).toMatchObject({
      name: "By root",
      slug: newSlug,
      role: null,
    });
    // Provisioned by an admin, bob is an owner at once: no invitation to accept.
    expect(await orgs.addMember(root, org.id, { user_id: bob.userId, role: "owner" })).toMatchObject({
      status: "active",
    });
    expect((await orgs.listInvitations(bob)).items).toEqual([]);
    expect(await orgs.roleIn(org.id, bob.userId)).toBe("owner");
    await orgs.updateMember(root, org.id, alice.userId, { role: "member" });
    await orgs.removeMember(root, org.id, alice.userId);
    expect(await membershipRows(org.id)).toEqual([{ user_id: bob.userId, role: "owner" }]);
    expect(audit.events.filter((e) => e.actor === root).map((e) => e.event.action)).toEqual([
      "org.update",
      "org.member.add",
      "org.member.update",
      "org.member.remove",
    ]);

    await orgs.remove(root, org.id);
    await expectAppError(orgs.get(root, org.id), "not_found");
    await expectAppError(orgs.get(root, uuidv7()), "not_found");
  });

  it("membershipsOf and roleIn report every org a user is in, and null outside", async () => {
    const { orgs } = setup();
    const alice = await newUser();
    const bob = await newUser();
    const one = await orgWith(orgs, alice, [[bob, "admin"]]);
    const two = await orgWith(orgs, bob);
    const three = await orgWith(orgs, alice);
    // Invited and not accepted: no membership yet.
    const four = await orgWith(orgs, alice);
    await orgs.addMember(alice, four.id, { user_id: bob.userId, role: "owner" });

    expect(await orgs.membershipsOf(bob.userId)).toEqual([
      { org_id: one.id, role: "admin" },
      { org_id: two.id, role: "owner" },
    ]);
    expect(await orgs.roleIn(one.id, bob.userId)).toBe("admin");
    expect(await orgs.roleIn(three.id, bob.userId)).toBeNull();
    expect(await orgs.roleIn(four.id, bob.userId)).toBeNull();
    expect(await orgs.roleIn(uuidv7(), bob.userId)).toBeNull();
  });

  it("an invitation grants nothing until accepted; the invitee lists, accepts or declines it", async () => {
    const { orgs, audit } = setup();
    const bob = await newUser();
    const alice = await newUser();
    const org = await orgWith(orgs, bob);
    const added = await orgs.addMember(bob, org.id, { email: alice.email, role: "admin" });
    expect(added).toMatchObject({ user_id: alice.userId, role: "admin", status: "invited" });

    await expectAppError(orgs.get(alice, org.id), "not_found");
    await expectAppError(orgs.listMembers(alice, org.id), "not_found");
    await expectAppError(orgs.update(alice, org.id, { name: "Mine" }), "not_found");
    await expectAppError(
      orgs.addMember(alice, org.id, { user_id: alice.userId, role: "owner" }),
      "not_found",
    );
    await expectAppError(orgs.updateMember(alice, org.id, alice.userId, { role: "owner" }), "not_found");
    await expectAppError(orgs.removeMember(alice, org.id, bob.userId), "not_found");
    expect((await orgs.listMine(alice)).items).toEqual([]);
    expect(await orgs.membershipsOf(alice.userId)).toEqual([]);
    expect(await orgs.roleIn(org.id, alice.userId)).toBeNull();
    expect(await orgs.listInvitations(alice)).toEqual({
      items: [
        { org_id: org.id, name: org.name, slug: org.slug, role: "admin", invited_at: added.created_at },
      ],
    });
    // Someone else cannot accept it for her, and there is nothing for a system actor to accept.
    await expectAppError(orgs.acceptInvitation(bob, org.id), "conflict");
    await expectAppError(orgs.acceptInvitation(systemActor("cli"), org.id), "not_found");

    audit.events.length = 0;
    expect(await orgs.acceptInvitation(alice, org.id)).toEqual({ ...org, role: "admin" });
    expect(audit.events).toEqual([
      {
        actor: alice,
        event: {
          action: "org.invitation_accepted",
          resourceType: "organization",
          resourceId: org.id,
          details: { user_id: alice.userId, role: "admin" },
        },
      },
    ]);
    expect(await orgs.membershipsOf(alice.userId)).toEqual([{ org_id: org.id, role: "admin" }]);
    expect((await orgs.listInvitations(alice)).items).toEqual([]);

    // Declining is removing one's own pending membership.
    const carol = await newUser();
    await orgs.addMember(bob, org.id, { user_id: carol.userId, role: "owner" });
    audit.events.length = 0;
    await orgs.removeMember(carol, org.id, carol.userId);
    expect(audit.events.map((e) => [e.event.action, e.event.details])).toEqual([
      ["org.member.remove", { user_id: carol.userId, role: "owner", left: true, status: "invited" }],
    ]);
    expect((await orgs.listInvitations(carol)).items).toEqual([]);
    await expectAppError(orgs.acceptInvitation(carol, org.id), "not_found");
    await expectAppError(orgs.acceptInvitation(carol, uuidv7()), "not_found");
  });

  it("an invited owner counts as no owner: not for the last-owner rules, nor for deleting users", async () => {
    const { orgs } = setup();
    const repo = createOrgsRepo({ db: ctx().db, dialect });
    const alice = await newUser();
    const bob = await newUser();
    const org = await orgWith(orgs, alice);
    await orgs.addMember(alice, org.id, { user_id: bob.userId, role: "owner" });

    await expectAppError(orgs.removeMember(alice, org.id, alice.userId), "bad_request");
    await expectAppError(orgs.updateMember(alice, org.id, alice.userId, { role: "admin" }), "bad_request");
    expect(await repo.orgsSolelyOwnedBy(alice.userId)).toContain(org.id);
    expect(await repo.orgsSolelyOwnedBy(bob.userId)).toEqual([]);

    await orgs.acceptInvitation(bob, org.id);
    expect(await repo.orgsSolelyOwnedBy(alice.userId)).not.toContain(org.id);
    await orgs.removeMember(alice, org.id, alice.userId);
    expect(await membershipRows(org.id)).toEqual([{ user_id: bob.userId, role: "owner" }]);
  });
});
