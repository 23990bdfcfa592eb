/**
 * Who is acting. Every service method takes one, and permission checks happen in the service
 * against it, never in a route handler.
 */
export type Actor = UserActor | SystemActor;

export interface UserActor {
  kind: "user";
  userId: string;
  /** Role names (`admin`, `user`), as of the last cache refresh of this user. */
  roles: readonly string[];
  /** How the caller proved who they are. */
  via: "access_token" | "api_key" | "service_key" | "internal";
  /** The login session behind an access token (what logout revokes). */
  sessionId?: string;
  /** The API key used, for api_key and service_key. */
  apiKeyId?: string;
  /** The key's own gateway limits, where it overrides the settings (null: the setting applies). */
  apiKeyLimits?: { requestsPerMinute: number | null; tokensPerMinute: number | null };
  /** For service_key: the admin who owns the key and is acting for `userId`. */
  onBehalfOf?: { ownerId: string };
  meta?: RequestMeta;
}

/** Switchyard itself or an operator at the CLI: trusted, no user behind it. */
export interface SystemActor {
  kind: "system";
  label: string;
  meta?: RequestMeta;
}

/** Where a request came from, for the audit log. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function systemActor(label: string, meta?: RequestMeta): SystemActor {
  return meta ? { kind: "system", label, meta } : { kind: "system", label };
}

/** A user acting through Switchyard's own code (library use, tests), not over HTTP. */
export function userActor(userId: string, roles: readonly string[]): UserActor {
  return { kind: "user", userId, roles, via: "internal" };
}

export function isAdmin(actor: Actor): boolean {
  return actor.kind === "system" || actor.roles.includes("admin");
}

/** The user id to record as the actor in audit rows and `updated_by` columns, if there is one. */
export function actorUserId(actor: Actor): string | null {
  return actor.kind === "user" ? (actor.onBehalfOf?.ownerId ?? actor.userId) : null;
}
