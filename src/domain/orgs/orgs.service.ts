import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { newId } from "../new-id.js";
import { constraintViolation, isMissingReference } from "../../db/errors.js";
import type { Database } from "../../db/schema.js";
import { type Actor, isAdmin } from "../actor.js";
import type { AuditRecorder } from "../audit/audit.types.js";
import { AppError } from "../errors.js";
import { parseInput } from "../validate.js";
import type { Executor, OrgsRepo, StoredMember, StoredMembership, StoredOrg } from "./orgs.repo.js";
import { managesOrg } from "./manages-org.js";
import {
  AddMemberBody,
  CreateOrgBody,
  type InvitationList,
  type MemberList,
  type MemberView,
  type OrgList,
  type OrgMembership,
  type OrgRole,
  type OrgView,
  UpdateMemberBody,
  UpdateOrgBody,
} from "./orgs.schemas.js";

export interface OrgsServiceDeps {
  /** For the transactions that keep an org's owner count and its memberships consistent. */
  db: Kysely<Database>;
  repo: Pick<
    OrgsRepo,
    | "insertOrg"
    | "findOrg"
    | "findOrgOfMember"
    | "listOrgsOfMember"
    | "updateOrg"
    | "deleteOrg"
    | "lockMemberships"
    | "listMembers"
    | "findMember"
    | "findRole"
    | "membershipsOfUser"
    | "insertMembership"
    | "updateMembershipRole"
    | "deleteMembership"
    | "acceptMembership"
    | "listInvitationsOf"
    | "findUserById"
    | "lockUser"
    | "findUserByEmail"
  >;
  audit: Pick<AuditRecorder, "record">;
  /** Told after membership changes and org deletion, which change whose org connections apply. */
  onMembershipChange(): Promise<void>;
}

export type OrgsService = ReturnType<typeof createOrgsService>;

const RESOURCE_TYPE = "organization";
/** Tries for a free slug when one is derived from the name and taken; an explicit slug gets one. */
const DERIVED_SLUG_ATTEMPTS = 5;

/**
 * Organizations and their memberships. Visibility: an org exists, for a caller, only if they are a
 * member or a Switchyard admin; everyone else gets not_found, so ids do not reveal which orgs exist.
 * Membership is by invitation: someone a member adds is invited, and is a member (sees the org,
 * uses its connections) only once they accept; a pending invitee is a non-member everywhere but in
 * their own list of invitations. A Switchyard admin's additions are active at once (provisioning).
 * Within an org: members read; owners and admins manage members and the name; only owners grant or
 * take away the owner role and delete the org. An org always keeps at least one owner: every change
 * that could lower the owner count runs in a transaction that first locks the org's memberships.
 * Inputs are checked against the route schemas here too, so library callers get the same 422s.
 */
export function createOrgsService({ db, repo, audit, onMembershipChange }: OrgsServiceDeps) {
  /** The caller's orgs (their memberships), by name. Admins also see only their own here. */
  async function listMine(actor: Actor): Promise<OrgList> {
    if (actor.kind !== "user") return { items: [] };
    const rows = await repo.listOrgsOfMember(actor.userId);
    return { items: rows.map(({ org, role }) => toOrgView(org, role)) };
  }

  /** Creates the org and makes the caller its owner, in one transaction. */
  async function create(actor: Actor, input: CreateOrgBody): Promise<OrgView> {
    parseInput(CreateOrgBody, input);
    if (actor.kind !== "user") {
      throw new AppError("bad_request", "An organization needs an owner: create it as a user");
    }
    const name = cleanName(input.name);
    const base = input.slug ?? slugFromName(name);

    for (let attempt = 0; attempt < DERIVED_SLUG_ATTEMPTS; attempt++) {
      const slug = attempt === 0 ? base : withRandomSuffix(base);
      const now = new Date();
      const org: StoredOrg = { id: newId(), name, slug, createdAt: now, updatedAt: now };
      try {
        await db.transaction().execute(async (trx) => {
          const user = await repo.lockUser(actor.userId, trx);
          // Deleted since the request was signed in: a user who is not there, as an admin would see.
          if (user === undefined) throw userGone();
          if (user.status !== "active") {
            throw new AppError("forbidden", "Only an active user may create an organization");
          }
          await repo.insertOrg(org, trx);
          await repo.insertMembership(
            { orgId: org.id, userId: actor.userId, role: "owner", createdAt: now, acceptedAt: now },
            trx,
          );
        });
      } catch (error) {
        // Deleted after the check above: the owner's membership then refers to a user who is gone.
        if (isMissingReference(error)) throw userGone(error);
        // The slug is the only unique a new org can collide on (its id is fresh, it has no members).
        if (constraintViolation(error) !== "unique") throw error;
        if (input.slug !== undefined) throw slugTaken(slug, error);
        continue;
      }
      await audit.record(actor, {
        action: "org.create",
        resourceType: RESOURCE_TYPE,
        resourceId: org.id,
        details: { name, slug },
      });
      return toOrgView(org, "owner");
    }
    throw new AppError("conflict", `Could not find a free slug for "${name}": give one`, {
      issues: [{ field: "/slug", message: "is taken" }],
    });
  }

  async function get(actor: Actor, orgId: string): Promise<OrgView> {
    const { org, role } = await readAccess(actor, orgId);
    return toOrgView(org, role);
  }

  /** Renames the org (name, slug). Owners and admins of the org. */
  async function update(actor: Actor, orgId: string, input: UpdateOrgBody): Promise<OrgView> {
    parseInput(UpdateOrgBody, input);
    const { org, role } = await readAccess(actor, orgId);
    requireManager(actor, role, "Only an owner or admin of the organization may change it");

    const name = input.name === undefined ? undefined : cleanName(input.name);
    const changes: { name?: string; slug?: string } = {};
    if (name !== undefined && name !== org.name) changes.name = name;
    if (input.slug !== undefined && input.slug !== org.slug) changes.slug = input.slug;
    if (changes.name === undefined && changes.slug === undefined) return toOrgView(org, role);

    const updatedAt = new Date();
    let updated: boolean;
    try {
      updated = await repo.updateOrg(orgId, { ...changes, updatedAt });
    } catch (error) {
      if (constraintViolation(error) === "unique" && changes.slug !== undefined) {
        throw slugTaken(changes.slug, error);
      }
      throw error;
    }
    if (!updated) throw orgNotFound();

    await audit.record(actor, {
      action: "org.update",
      resourceType: RESOURCE_TYPE,
      resourceId: orgId,
      details: {
        ...(changes.name === undefined ? {} : { name: { from: org.name, to: changes.name } }),
        ...(changes.slug === undefined ? {} : { slug: { from: org.slug, to: changes.slug } }),
      },
    });
    return toOrgView({ ...org, ...changes, updatedAt }, role);
  }

  /** Deletes the org with its memberships (by cascade). Owners of the org only. */
  async function remove(actor: Actor, orgId: string): Promise<void> {
    const { org, role } = await readAccess(actor, orgId);
    if (!isAdmin(actor) && role !== "owner") {
      throw new AppError("forbidden", "Only an owner of the organization may delete it");
    }
    if (!(await repo.deleteOrg(orgId))) throw orgNotFound();
    await onMembershipChange();
    await audit.record(actor, {
      action: "org.delete",
      resourceType: RESOURCE_TYPE,
      resourceId: orgId,
      details: { name: org.name, slug: org.slug },
    });
  }

  /** The org's members, pending invitees included, in the order they were added. Any member may read it. */
  async function listMembers(actor: Actor, orgId: string): Promise<MemberList> {
    await readAccess(actor, orgId);
    const members = await repo.listMembers(orgId);
    return { items: members.map(toMemberView) };
  }

  /**
   * Adds an existing user (by id or email). Owners and admins; only owners may add an owner. The
   * membership is an invitation the user must accept, except when a Switchyard admin adds them:
   * otherwise anyone could put anyone into an org whose connections would then serve their calls.
   */
  async function addMember(actor: Actor, orgId: string, input: AddMemberBody): Promise<MemberView> {
    parseInput(AddMemberBody, input);
    if ((input.user_id === undefined) === (input.email === undefined)) {
      throw new AppError("validation_failed", "Give exactly one of user_id and email", {
        issues: [{ field: "/user_id", message: "give exactly one of user_id and email" }],
      });
    }
    const createdAt = new Date();
    const acceptedAt = isAdmin(actor) ? createdAt : null;
    const added = await inTransaction(async (trx) => {
      const { members, actorRole } = await lockForChange(actor, orgId, trx);
      requireManager(actor, actorRole, "Only an owner or admin of the organization may add members");
      if (input.role === "owner") {
        requireOwner(actor, actorRole, "Only an owner may make someone an owner");
      }
      const user =
        input.user_id === undefined
          ? await repo.findUserByEmail((input.email ?? "").trim(), trx)
          : await repo.findUserById(input.user_id, trx);
      if (user === undefined) {
        throw new AppError("not_found", `No user with that ${input.user_id === undefined ? "email" : "id"}`);
      }
      if (members.some((member) => member.userId === user.id)) throw alreadyMember();
      await repo.insertMembership({ orgId, userId: user.id, role: input.role, createdAt, acceptedAt }, trx);
      return { userId: user.id, email: user.email, role: input.role, createdAt, acceptedAt };
    });
    await onMembershipChange();
    await audit.record(actor, {
      action: "org.member.add",
      resourceType: RESOURCE_TYPE,
      resourceId: orgId,
      details: { user_id: added.userId, role: added.role, status: memberStatus(added) },
    });
    return toMemberView(added);
  }

  /** The caller accepts their pending invitation to the org and becomes a member; not_found without one. */
  async function acceptInvitation(actor: Actor, orgId: string): Promise<OrgView> {
    if (actor.kind !== "user") throw invitationNotFound();
    const userId = actor.userId;
    const accepted = await inTransaction(async (trx) => {
      const members = await repo.lockMemberships(orgId, trx);
      const mine = members.find((member) => member.userId === userId);
      if (mine === undefined) throw invitationNotFound();
      if (mine.acceptedAt !== null) {
        throw new AppError("conflict", "You are already a member of the organization");
      }
      if (!(await repo.acceptMembership(orgId, userId, new Date(), trx))) throw invitationNotFound();
      const found = await repo.findOrgOfMember(orgId, userId, trx);
      if (found === undefined) throw invitationNotFound();
      return found;
    });
    // The org's connections now apply to the user, as an active membership's always did.
    await onMembershipChange();
    await audit.record(actor, {
      action: "org.invitation_accepted",
      resourceType: RESOURCE_TYPE,
      resourceId: orgId,
      details: { user_id: userId, role: accepted.role },
    });
    return toOrgView(accepted.org, accepted.role);
  }

  /** The caller's pending invitations, oldest first. Declining one is leaving the org. */
  async function listInvitations(actor: Actor): Promise<InvitationList> {
    if (actor.kind !== "user") return { items: [] };
    const rows = await repo.listInvitationsOf(actor.userId);
    return {
      items: rows.map(({ org, role, invitedAt }) => ({
        org_id: org.id,
        name: org.name,
        slug: org.slug,
        role,
        invited_at: invitedAt.toISOString(),
      })),
    };
  }

  /**
   * Changes a member's role. Owners and admins; granting or taking away owner needs an owner; the
   * last owner cannot be demoted.
   */
  async function updateMember(
    actor: Actor,
    orgId: string,
    userId: string,
    input: UpdateMemberBody,
  ): Promise<MemberView> {
    parseInput(UpdateMemberBody, input);
    const outcome = await inTransaction(async (trx) => {
      const { members, actorRole } = await lockForChange(actor, orgId, trx);
      requireManager(actor, actorRole, "Only an owner or admin of the organization may change roles");
      const target = members.find((member) => member.userId === userId);
      if (target === undefined) throw memberNotFound();
      if (target.role === "owner" || input.role === "owner") {
        requireOwner(actor, actorRole, "Only an owner may grant or take away the owner role");
      }
      const changed = target.role !== input.role;
      if (changed) {
        if (isActiveOwner(target)) requireAnotherOwner(members, "demote");
        if (!(await repo.updateMembershipRole(orgId, userId, input.role, trx))) throw memberNotFound();
      }
      const member = await repo.findMember(orgId, userId, trx);
      if (member === undefined) throw memberNotFound();
      return { member, from: target.role, changed };
    });
    if (outcome.changed) {
      await onMembershipChange();
      await audit.record(actor, {
        action: "org.member.update",
        resourceType: RESOURCE_TYPE,
        resourceId: orgId,
        details: { user_id: userId, from: outcome.from, to: outcome.member.role },
      });
    }
    return toMemberView(outcome.member);
  }

  /**
   * Removes a member. Any member may remove themselves (leave), and an invitee may decline this way;
   * owners and admins remove others (withdrawing an invitation too); removing an owner needs an
   * owner; the last owner can be neither removed nor leave.
   */
  async function removeMember(actor: Actor, orgId: string, userId: string): Promise<void> {
    const self = actor.kind === "user" && actor.userId === userId;
    const removed = await inTransaction(async (trx) => {
      const { members, actorRole } = await lockForChange(actor, orgId, trx, { invitedMayAct: self });
      if (!self)
        requireManager(actor, actorRole, "Only an owner or admin of the organization may remove members");
      const target = members.find((member) => member.userId === userId);
      if (target === undefined) throw memberNotFound();
      if (!self && target.role === "owner") {
        requireOwner(actor, actorRole, "Only an owner may remove an owner");
      }
      if (isActiveOwner(target)) requireAnotherOwner(members, self ? "leave" : "remove");
      if (!(await repo.deleteMembership(orgId, userId, trx))) throw memberNotFound();
      return target;
    });
    await onMembershipChange();
    await audit.record(actor, {
      action: "org.member.remove",
      resourceType: RESOURCE_TYPE,
      resourceId: orgId,
      details: { user_id: userId, role: removed.role, left: self, status: memberStatus(removed) },
    });
  }

  /** Every org the user belongs to and their role in it. Trusted: for the connection resolver, not callers. */
  async function membershipsOf(userId: string): Promise<OrgMembership[]> {
    const rows = await repo.membershipsOfUser(userId);
    return rows.map((row) => ({ org_id: row.orgId, role: row.role }));
  }

  /** The user's role in the org, or null when they are not a member. Trusted, like membershipsOf. */
  async function roleIn(orgId: string, userId: string): Promise<OrgRole | null> {
    return (await repo.findRole(orgId, userId)) ?? null;
  }

  /** The org and the caller's role in it (null for an admin who is not a member); not_found otherwise. */
  async function readAccess(actor: Actor, orgId: string): Promise<{ org: StoredOrg; role: OrgRole | null }> {
    if (actor.kind === "user") {
      const found = await repo.findOrgOfMember(orgId, actor.userId);
      if (found !== undefined) return found;
    }
    if (isAdmin(actor)) {
      const org = await repo.findOrg(orgId);
      if (org !== undefined) return { org, role: null };
    }
    throw orgNotFound();
  }

  /**
   * Inside a transaction: locks the org's memberships and reads them, and the caller's role from
   * them. Everything a membership change decides (may the caller act, how many owners are left)
   * is decided on these rows, so a concurrent change waits for this one and then sees its result.
   * A caller whose invitation is pending has no role; with invitedMayAct (their own membership,
   * to decline it) they get past the not_found a non-member gets.
   */
  async function lockForChange(
    actor: Actor,
    orgId: string,
    trx: Executor,
    options: { invitedMayAct: boolean } = { invitedMayAct: false },
  ): Promise<{ members: StoredMembership[]; actorRole: OrgRole | null }> {
    const members = await repo.lockMemberships(orgId, trx);
    const own = actor.kind === "user" ? members.find((member) => member.userId === actor.userId) : undefined;
    const actorRole = own !== undefined && own.acceptedAt !== null ? own.role : null;
    const invitee = own !== undefined && options.invitedMayAct;
    if (
      actorRole === null &&
      !invitee &&
      !(isAdmin(actor) && (await repo.findOrg(orgId, trx)) !== undefined)
    ) {
      throw orgNotFound();
    }
    return { members, actorRole };
  }

  /** Runs a membership change, turning what the database settled in a race into the right code. */
  async function inTransaction<T>(work: (trx: Executor) => Promise<T>): Promise<T> {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      switch (constraintViolation(error)) {
        case "unique":
          // Two adds of the same user: the second one's locked read did not see the first's new row.
          throw alreadyMember(error);
        case "foreign_key":
          // The org (or the user) was deleted while the change was being made.
          throw new AppError("not_found", "The organization or the user no longer exists", { cause: error });
        default:
          throw error;
      }
    }
  }

  return {
    listMine,
    create,
    get,
    update,
    remove,
    listMembers,
    addMember,
    acceptInvitation,
    listInvitations,
    updateMember,
    removeMember,
    membershipsOf,
    roleIn,
  };
}

/** A slug derived from a name: ASCII letters and digits, runs of anything else as one hyphen. */
export function slugFromName(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 100)
    .replace(/-+$/, "");
  return slug === "" ? "org" : slug;
}

function withRandomSuffix(base: string): string {
  return `${base.slice(0, 93).replace(/-+$/, "")}-${randomBytes(3).toString("hex")}`;
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "") {
    throw new AppError("validation_failed", "The name must not be blank", {
      issues: [{ field: "/name", message: "must not be blank" }],
    });
  }
  return trimmed;
}

/** Switchyard admins, and owners and admins of the org. */
function requireManager(actor: Actor, role: OrgRole | null, message: string): void {
  if (isAdmin(actor) || managesOrg(role ?? undefined)) return;
  throw new AppError("forbidden", message);
}

function requireOwner(actor: Actor, role: OrgRole | null, message: string): void {
  if (isAdmin(actor) || role === "owner") return;
  throw new AppError("forbidden", message);
}

/** An owner who has accepted: an invited owner owns nothing yet, so is not counted. */
function isActiveOwner(member: StoredMembership): boolean {
  return member.role === "owner" && member.acceptedAt !== null;
}

function requireAnotherOwner(members: StoredMembership[], change: "demote" | "remove" | "leave"): void {
  const owners = members.filter(isActiveOwner).length;
  if (owners > 1) return;
  const what = {
    demote: "The last owner cannot be demoted",
    remove: "The last owner cannot be removed",
    leave: "The last owner cannot leave",
  }[change];
  throw new AppError(
    "bad_request",
    `${what}: an organization must keep at least one owner. Make another member an owner first, or delete the organization.`,
  );
}

function orgNotFound(): AppError {
  return new AppError("not_found", "No organization with that id");
}

function userGone(cause?: unknown): AppError {
  return new AppError("not_found", "No user with that id: the account was deleted", { cause });
}

function memberNotFound(): AppError {
  return new AppError("not_found", "That user is not a member of the organization");
}

function invitationNotFound(): AppError {
  return new AppError("not_found", "No pending invitation to that organization");
}

function memberStatus(member: { acceptedAt: Date | null }): MemberView["status"] {
  return member.acceptedAt === null ? "invited" : "active";
}

function alreadyMember(cause?: unknown): AppError {
  return new AppError("conflict", "That user is already a member of the organization, or invited to it", {
    cause,
  });
}

function slugTaken(slug: string, cause: unknown): AppError {
  return new AppError("conflict", `The slug "${slug}" is taken`, {
    issues: [{ field: "/slug", message: "is taken" }],
    cause,
  });
}

function toOrgView(org: StoredOrg, role: OrgRole | null): OrgView {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    role,
    created_at: org.createdAt.toISOString(),
    updated_at: org.updatedAt.toISOString(),
  };
}

function toMemberView(member: StoredMember): MemberView {
  return {
    user_id: member.userId,
    email: member.email,
    role: member.role,
    status: memberStatus(member),
    created_at: member.createdAt.toISOString(),
  };
}
