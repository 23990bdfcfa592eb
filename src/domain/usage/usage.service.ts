import { type Actor, isAdmin } from "../actor.js";
import { AppError } from "../errors.js";
import { parseInput } from "../validate.js";
import type { UsageRepo } from "./usage.repo.js";
import { UsageQuery, type UsageReport } from "./usage.schemas.js";

/** What the gateway recorded: each user their own; admins everyone's, or one user's. */
export function createUsageService(deps: { repo: Pick<UsageRepo, "totals"> }) {
  const report = async (userId: string | undefined, query: UsageQuery): Promise<UsageReport> => {
    const groupBy = query.group_by ?? "day";
    const items = await deps.repo.totals(
      {
        userId,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      },
      groupBy,
    );
    return { group_by: groupBy, items };
  };

  return {
    async mine(actor: Actor, input: unknown = {}): Promise<UsageReport> {
      if (actor.kind !== "user") throw new AppError("unauthorized", "No user is signed in");
      const query = parseInput(UsageQuery, input);
      if (query.user_id)
        throw new AppError("validation_failed", "/user_id is for the admin view", {
          issues: [{ field: "/user_id", message: "is for the admin view" }],
        });
      return report(actor.userId, query);
    },
    async all(actor: Actor, input: unknown = {}): Promise<UsageReport> {
      if (!isAdmin(actor)) throw new AppError("forbidden", "Only an admin may read everyone's usage");
      const query = parseInput(UsageQuery, input);
      return report(query.user_id, query);
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
