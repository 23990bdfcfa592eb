import { type Static, Type } from "typebox";

/**
 * The organization and membership DTOs, shared by the HTTP routes and the library API. The service
 * checks its inputs against these same schemas, so a library caller gets the 422 an HTTP caller gets.
 */

export const ORG_ROLES = ["owner", "admin", "member"] as const;

export const OrgRole = Type.Enum(ORG_ROLES, {
  description:
    "owner: everything, including deleting the org and granting owner; admin: manages members and the org's name; member: reads",
});
export type OrgRole = Static<typeof OrgRole>;

/** Lowercase letters, digits and inner hyphens, 1 to 100 characters: safe in a URL path. */
export const SLUG_PATTERN = "^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$";

export const OrgSlug = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: SLUG_PATTERN,
  description:
    "Unique across Switchyard: lowercase letters, digits and hyphens, not starting or ending with one",
});

export const OrgName = Type.String({ minLength: 1, maxLength: 200, description: "Shown to people" });

export const OrgIdParam = Type.String({ format: "uuid", description: "The organization's id" });
export const UserIdParam = Type.String({ format: "uuid", description: "The member's user id" });

export const OrgView = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    name: Type.String(),
    slug: Type.String(),
    role: Type.Union([OrgRole, Type.Null()], {
      description: "The caller's role in the org; null for a Switchyard admin who is not a member",
    }),
    created_at: Type.String({ format: "date-time" }),
    updated_at: Type.String({ format: "date-time" }),
  },
  { additionalProperties: false },
);
export type OrgView = Static<typeof OrgView>;

export const OrgList = Type.Object({ items: Type.Array(OrgView) }, { additionalProperties: false });
export type OrgList = Static<typeof OrgList>;

export const CreateOrgBody = Type.Object(
  {
    name: OrgName,
    slug: Type.Optional(OrgSlug),
  },
  {
    additionalProperties: false,
    description: "Without a slug, one is derived from the name (a suffix is added if it is taken)",
    examples: [{ name: "Acme Research", slug: "acme-research" }],
  },
);
export type CreateOrgBody = Static<typeof CreateOrgBody>;

export const UpdateOrgBody = Type.Object(
  {
    name: Type.Optional(OrgName),
    slug: Type.Optional(OrgSlug),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ name: "Acme Labs" }] },
);
export type UpdateOrgBody = Static<typeof UpdateOrgBody>;

export const MemberView = Type.Object(
  {
    user_id: Type.String({ format: "uuid" }),
    email: Type.String(),
    role: OrgRole,
    status: Type.Enum(["active", "invited"], {
      description:
        "invited: added by a member of the org and not yet accepted by the user; grants nothing until then",
    }),
    created_at: Type.String({ format: "date-time", description: "When the user was added to the org" }),
  },
  { additionalProperties: false },
);
export type MemberView = Static<typeof MemberView>;

export const MemberList = Type.Object({ items: Type.Array(MemberView) }, { additionalProperties: false });
export type MemberList = Static<typeof MemberList>;

export const AddMemberBody = Type.Object(
  {
    user_id: Type.Optional(Type.String({ format: "uuid", description: "The user to add; or give email" })),
    email: Type.Optional(
      Type.String({ minLength: 3, maxLength: 320, description: "The user to add; or give user_id" }),
    ),
    role: OrgRole,
  },
  {
    additionalProperties: false,
    description: "Exactly one of user_id and email names an existing user",
    examples: [{ email: "ada@example.com", role: "member" }],
  },
);
export type AddMemberBody = Static<typeof AddMemberBody>;

/** An invitation to an org, as the invited user sees it. */
export const InvitationView = Type.Object(
  {
    org_id: Type.String({ format: "uuid" }),
    name: Type.String(),
    slug: Type.String(),
    role: OrgRole,
    invited_at: Type.String({ format: "date-time" }),
  },
  { additionalProperties: false },
);
export type InvitationView = Static<typeof InvitationView>;

export const InvitationList = Type.Object(
  { items: Type.Array(InvitationView) },
  { additionalProperties: false },
);
export type InvitationList = Static<typeof InvitationList>;

export const UpdateMemberBody = Type.Object(
  { role: OrgRole },
  { additionalProperties: false, examples: [{ role: "admin" }] },
);
export type UpdateMemberBody = Static<typeof UpdateMemberBody>;

/** One organization a user belongs to, for the connection resolver. */
export interface OrgMembership {
  org_id: string;
  role: OrgRole;
}
