import type { UserView } from "./users.schemas.js";
import type { UserRecord } from "./users.repo.js";

export function toUserView(user: UserRecord, roles: readonly string[]): UserView {
  return {
    id: user.id,
    email: user.email,
    status: user.status,
    roles: [...roles],
    display_name: user.displayName,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

/** Emails compare case-insensitively everywhere, so they are stored and looked up lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
