/**
 * Who is acting. Every service method takes one, and permission checks happen in the service
 * against it, never in a route handler.
 */
export type Actor =
  | { kind: "user"; userId: string; roles: readonly string[] }
  /** Switchyard itself or an operator at the CLI: trusted, no user behind it. */
  | { kind: "system"; label: string };

export function systemActor(label: string): Actor {
  return { kind: "system", label };
}

export function isAdmin(actor: Actor): boolean {
  return actor.kind === "system" || actor.roles.includes("admin");
}

/** The user id to record as the actor in audit rows and `updated_by` columns, if there is one. */
export function actorUserId(actor: Actor): string | null {
  return actor.kind === "user" ? actor.userId : null;
}
