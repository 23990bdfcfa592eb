import { type Kysely, type Selectable, sql } from "kysely";
import { byCodePoint } from "../../db/by-code-point.js";
import type { Dialect } from "../../db/database-url.js";
import type { Database, MembershipRole, OrganizationsTable, UserStatus } from "../../db/schema.js";
import { toDate } from "../../db/values.js";

/** The database or a transaction on it (Kysely's Transaction is a Kysely), for work that joins one. */
export type Executor = Kysely<Database>;

export interface StoredOrg {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredMembership {
  orgId: string;
  userId: string;
  role: MembershipRole;
  createdAt: Date;
  /** Null while the invitation is pending: such a membership grants nothing. */
  acceptedAt: Date | null;
}

export interface StoredMember {
  userId: string;
  email: string;
  role: MembershipRole;
  createdAt: Date;
  acceptedAt: Date | null;
}

/** A pending invitation, as its invitee sees it. */
export interface StoredInvitation {
  org: StoredOrg;
  role: MembershipRole;
  invitedAt: Date;
}

export interface OrgUser {
  id: string;
  email: string;
  status: UserStatus;
}

export interface OrgsRepoDeps {
  db: Kysely<Database>;
  /** SQLite has no FOR UPDATE (it serializes writers instead); the other two lock rows with it. */
  dialect: Dialect;
}

export type OrgsRepo = ReturnType<typeof createOrgsRepo>;

/**
 * Organizations and their memberships. Every membership query is scoped by the org it belongs to
 * or by the user it is about; org rows are scoped by their own id (or by the member, for lists).
 * A membership whose invitation is pending (accepted_at null) grants nothing: every query that
 * decides what a user may see or use counts accepted memberships only. Only the member list, the
 * locked read a membership change decides on, and the invitee's own invitations include pending ones.
 */
export function createOrgsRepo({ db, dialect }: OrgsRepoDeps) {
  return {
    async insertOrg(org: StoredOrg, executor: Executor = db): Promise<void> {
      await executor
        .insertInto("organizations")
        .values({
          id: org.id,
          name: org.name,
          slug: org.slug,
          created_at: org.createdAt,
          updated_at: org.updatedAt,
        })
        .execute();
    },

    async findOrg(orgId: string, executor: Executor = db): Promise<StoredOrg | undefined> {
      const row = await executor
        .selectFrom("organizations")
        .selectAll()
        .where("id", "=", orgId)
        .executeTakeFirst();
      return row === undefined ? undefined : toStoredOrg(row);
    },

    /** The org with the user's role in it, or undefined when there is no such org or no accepted membership. */
    async findOrgOfMember(
      orgId: string,
      userId: string,
      executor: Executor = db,
    ): Promise<{ org: StoredOrg; role: MembershipRole } | undefined> {
      const row = await executor
        .selectFrom("organizations as o")
        .innerJoin("memberships as m", "m.org_id", "o.id")
        .selectAll("o")
        .select("m.role")
        .where("o.id", "=", orgId)
        .where("m.user_id", "=", userId)
        .where("m.accepted_at", "is not", null)
        .executeTakeFirst();
      return row === undefined ? undefined : { org: toStoredOrg(row), role: row.role };
    },

    /** The orgs the user belongs to (accepted memberships), with their role in each, by name. */
    async listOrgsOfMember(
      userId: string,
      executor: Executor = db,
    ): Promise<{ org: StoredOrg; role: MembershipRole }[]> {
      const rows = await executor
        .selectFrom("organizations as o")
        .innerJoin("memberships as m", "m.org_id", "o.id")
        .selectAll("o")
        .select("m.role")
        .where("m.user_id", "=", userId)
        .where("m.accepted_at", "is not", null)
        .orderBy(byCodePoint(dialect, sql.ref<string>("o.name")))
        .orderBy("o.id")
        .execute();
      return rows.map((row) => ({ org: toStoredOrg(row), role: row.role }));
    },

    /** Returns whether the org was there to update. */
    async updateOrg(
      orgId: string,
      changes: { name?: string; slug?: string; updatedAt: Date },
      executor: Executor = db,
    ): Promise<boolean> {
      const result = await executor
        .updateTable("organizations")
        .set({
          ...(changes.name === undefined ? {} : { name: changes.name }),
          ...(changes.slug === undefined ? {} : { slug: changes.slug }),
          updated_at: changes.updatedAt,
        })
        .where("id", "=", orgId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Deletes the org; its memberships (and, later, its connections) go with it by cascade. */
    async deleteOrg(orgId: string, executor: Executor = db): Promise<boolean> {
      const result = await executor.deleteFrom("organizations").where("id", "=", orgId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /**
     * Every membership of the org, locked until the transaction ends (FOR UPDATE on PostgreSQL and
     * MySQL), so that rules counting owners see what the last writer left and two concurrent changes
     * cannot both pass on the same count. Call it first in the transaction and decide on what it
     * returns: on MySQL a locking read sees the latest committed rows, a plain one may not.
     */
    async lockMemberships(orgId: string, executor: Executor): Promise<StoredMembership[]> {
      let query = executor
        .selectFrom("memberships")
        .selectAll()
        .where("org_id", "=", orgId)
        .orderBy("user_id");
      if (dialect !== "sqlite") query = query.forUpdate();
      const rows = await query.execute();
      return rows.map((row) => ({
        orgId: row.org_id,
        userId: row.user_id,
        role: row.role,
        createdAt: toDate(row.created_at),
        acceptedAt: row.accepted_at === null ? null : toDate(row.accepted_at),
      }));
    },

    /** The org's members with their emails, pending invitees included, in the order they were added. */
    async listMembers(orgId: string, executor: Executor = db): Promise<StoredMember[]> {
      const rows = await executor
        .selectFrom("memberships as m")
        .innerJoin("users as u", "u.id", "m.user_id")
        .select(["m.user_id", "u.email", "m.role", "m.created_at", "m.accepted_at"])
        .where("m.org_id", "=", orgId)
        .orderBy("m.created_at")
        .orderBy("m.user_id")
        .execute();
      return rows.map(toStoredMember);
    },

    async findMember(
      orgId: string,
      userId: string,
      executor: Executor = db,
    ): Promise<StoredMember | undefined> {
      const row = await executor
        .selectFrom("memberships as m")
        .innerJoin("users as u", "u.id", "m.user_id")
        .select(["m.user_id", "u.email", "m.role", "m.created_at", "m.accepted_at"])
        .where("m.org_id", "=", orgId)
        .where("m.user_id", "=", userId)
        .executeTakeFirst();
      return row === undefined ? undefined : toStoredMember(row);
    },

    async findRole(
      orgId: string,
      userId: string,
      executor: Executor = db,
    ): Promise<MembershipRole | undefined> {
      const row = await executor
        .selectFrom("memberships")
        .select("role")
        .where("org_id", "=", orgId)
        .where("user_id", "=", userId)
        .where("accepted_at", "is not", null)
        .executeTakeFirst();
      return row?.role;
    },

    /**
     * Every org the user belongs to (accepted memberships) and their role in it, for resolving which
     * connections they may use.
     */
    async membershipsOfUser(
      userId: string,
      executor: Executor = db,
    ): Promise<{ orgId: string; role: MembershipRole }[]> {
      const rows = await executor
        .selectFrom("memberships")
        .select(["org_id", "role"])
        .where("user_id", "=", userId)
        .where("accepted_at", "is not", null)
        .orderBy("created_at")
        .orderBy("org_id")
        .execute();
      return rows.map((row) => ({ orgId: row.org_id, role: row.role }));
    },

    /**
     * Orgs where the user is the only owner: deleting the user would leave them without one. An
     * invited owner who has not accepted is no owner yet, on either side of the count.
     */
    async orgsSolelyOwnedBy(userId: string, executor: Executor = db): Promise<string[]> {
      const rows = await executor
        .selectFrom("memberships as mine")
        .select("mine.org_id")
        .where("mine.user_id", "=", userId)
        .where("mine.role", "=", "owner")
        .where("mine.accepted_at", "is not", null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("memberships as other")
                .select("other.user_id")
                .whereRef("other.org_id", "=", "mine.org_id")
                .where("other.role", "=", "owner")
                .where("other.accepted_at", "is not", null)
                .where("other.user_id", "!=", userId),
            ),
          ),
        )
        .orderBy("mine.org_id")
        .execute();
      return rows.map((row) => row.org_id);
    },

    async insertMembership(membership: StoredMembership, executor: Executor = db): Promise<void> {
      await executor
        .insertInto("memberships")
        .values({
          org_id: membership.orgId,
          user_id: membership.userId,
          role: membership.role,
          created_at: membership.createdAt,
          accepted_at: membership.acceptedAt,
        })
        .execute();
    },

    /** Accepts the user's pending invitation; returns whether there was one to accept. */
    async acceptMembership(
      orgId: string,
      userId: string,
      acceptedAt: Date,
      executor: Executor = db,
    ): Promise<boolean> {
      const result = await executor
        .updateTable("memberships")
        .set({ accepted_at: acceptedAt })
        .where("org_id", "=", orgId)
        .where("user_id", "=", userId)
        .where("accepted_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** The user's pending invitations, oldest first. */
    async listInvitationsOf(userId: string, executor: Executor = db): Promise<StoredInvitation[]> {
      const rows = await executor
        .selectFrom("organizations as o")
        .innerJoin("memberships as m", "m.org_id", "o.id")
        .selectAll("o")
        .select(["m.role", "m.created_at as invited_at"])
        .where("m.user_id", "=", userId)
        .where("m.accepted_at", "is", null)
        .orderBy("m.created_at")
        .orderBy("o.id")
        .execute();
      return rows.map((row) => ({
        org: toStoredOrg(row),
        role: row.role,
        invitedAt: toDate(row.invited_at),
      }));
    },

    /** Returns whether the membership was there to update. */
    async updateMembershipRole(
      orgId: string,
      userId: string,
      role: MembershipRole,
      executor: Executor = db,
    ): Promise<boolean> {
      const result = await executor
        .updateTable("memberships")
        .set({ role })
        .where("org_id", "=", orgId)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Returns whether the membership was there to delete. */
    async deleteMembership(orgId: string, userId: string, executor: Executor = db): Promise<boolean> {
      const result = await executor
        .deleteFrom("memberships")
        .where("org_id", "=", orgId)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async findUserById(userId: string, executor: Executor = db): Promise<OrgUser | undefined> {
      return executor
        .selectFrom("users")
        .select(["id", "email", "status"])
        .where("id", "=", userId)
        .executeTakeFirst();
    },

    /**
     * The user, its row locked until the transaction ends (where the dialect has row locks; SQLite
     * runs one writer at a time): a user deletion, which locks the row before it checks what the
     * user solely owns, then waits for an org being created, and sees its membership.
     */
    async lockUser(userId: string, executor: Executor): Promise<OrgUser | undefined> {
      let query = executor.selectFrom("users").select(["id", "email", "status"]).where("id", "=", userId);
      if (dialect !== "sqlite") query = query.forUpdate();
      return query.executeTakeFirst();
    },

    /**
     * The user with this email: an exact match, else the one user whose email matches ignoring case
     * (emails compare case-sensitively in every dialect's column, people type them either way).
     */
    async findUserByEmail(email: string, executor: Executor = db): Promise<OrgUser | undefined> {
      const rows = await executor
        .selectFrom("users")
        .select(["id", "email", "status"])
        .where((eb) =>
          eb.or([eb("email", "=", email), eb(sql<string>`lower(email)`, "=", email.toLowerCase())]),
        )
        .limit(10)
        .execute();
      const exact = rows.find((row) => row.email === email);
      if (exact) return exact;
      return rows.length === 1 ? rows[0] : undefined;
    },
  };
}

function toStoredOrg(row: Selectable<OrganizationsTable>): StoredOrg {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function toStoredMember(row: {
  user_id: string;
  email: string;
  role: MembershipRole;
  created_at: Date | string;
  accepted_at: Date | string | null;
}): StoredMember {
  return {
    userId: row.user_id,
    email: row.email,
    role: row.role,
    createdAt: toDate(row.created_at),
    acceptedAt: row.accepted_at === null ? null : toDate(row.accepted_at),
  };
}
