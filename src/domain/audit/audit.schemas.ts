import { type Static, Type } from "typebox";

/** The audit DTOs, shared by the HTTP route and the library API. */

const NullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

export const AuditLogView = Type.Object(
  {
    id: Type.String({ description: "UUIDv7, so ids also sort in time order" }),
    actor_id: NullableString(
      "The user who acted (for a service key, the key's owner); null for the system, an anonymous " +
        "caller, or a user deleted since",
    ),
    actor_label: NullableString(
      "Who acted, in words that outlive the user: a user id (with the service key and owner when one " +
        "was used), `system:<name>`, or what an anonymous caller gave (the email of a failed login)",
    ),
    action: Type.String({ description: "What happened, dotted: auth.login_failed, connection.created" }),
    resource_type: Type.String({ description: "The kind of thing acted on: user, connection, setting" }),
    resource_id: NullableString("The id of the thing acted on, when it has one"),
    details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description: "Event-specific facts, with anything that looks like a secret replaced by [redacted]",
    }),
    ip: NullableString("The caller's address"),
    user_agent: NullableString("The caller's User-Agent"),
    request_id: NullableString("The request's id, as in its log line and X-Request-Id"),
    created_at: Type.String({ format: "date-time" }),
  },
  { additionalProperties: false },
);
export type AuditLogView = Static<typeof AuditLogView>;

export const MAX_AUDIT_PAGE_SIZE = 200;
export const DEFAULT_AUDIT_PAGE_SIZE = 50;

/**
 * An exact value to filter on, without surrounding whitespace: no stored value has any, and
 * MariaDB's comparison ignores trailing spaces, so `action=auth.register%20` matched there and
 * nowhere else.
 */
const Exact = (options: { maxLength: number; description?: string; examples?: string[] }) =>
  Type.String({ minLength: 1, pattern: "^\\S(?:.*\\S)?$", ...options });

export const AuditLogQuery = Type.Object(
  {
    actor_id: Type.Optional(Exact({ maxLength: 36, description: "Only this user's actions" })),
    action: Type.Optional(
      Exact({
        maxLength: 100,
        description: "An exact action, or a prefix ending in `.*`: `auth.*` matches every auth.… action",
        examples: ["auth.*", "connection.created"],
      }),
    ),
    resource_type: Type.Optional(Exact({ maxLength: 64 })),
    resource_id: Type.Optional(Exact({ maxLength: 64 })),
    from: Type.Optional(
      Type.String({ format: "date-time", description: "Entries at or after this instant (inclusive)" }),
    ),
    to: Type.Optional(
      Type.String({ format: "date-time", description: "Entries before this instant (exclusive)" }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: "The next_cursor of the previous page; the filters should stay the same",
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_AUDIT_PAGE_SIZE,
        default: DEFAULT_AUDIT_PAGE_SIZE,
        description: "Entries per page",
      }),
    ),
  },
  { additionalProperties: false },
);
export type AuditLogQuery = Static<typeof AuditLogQuery>;

export const AuditLogPage = Type.Object(
  {
    items: Type.Array(AuditLogView, { description: "Newest first" }),
    next_cursor: NullableString("Pass as `cursor` for the next page; null on the last page"),
  },
  { additionalProperties: false },
);
export type AuditLogPage = Static<typeof AuditLogPage>;
