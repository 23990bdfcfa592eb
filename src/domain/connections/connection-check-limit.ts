import type { RateLimitStore } from "../../ratelimit/interface.js";
import type { Actor } from "../actor.js";
import { AppError } from "../errors.js";
import type { SettingsService } from "../settings/settings.service.js";

const MINUTE = 60_000;

export interface ConnectionCheckLimitDeps {
  store: Pick<RateLimitStore, "increment">;
  settings: Pick<SettingsService, "get">;
}

/**
 * Connection tests and model listings per minute per user (the
 * `ratelimit.user_connection_checks_per_minute` setting; 0 means none). Each is an upstream call
 * billed to the connection's key, and every user may make them on the system's connections, so
 * without a limit any user could spend the system key's quota or get it rate-limited by the
 * provider. Admins are limited alike: their checks spend the same key, and an admin who needs more
 * raises the setting. The hit is counted before the upstream call, in one atomic step (a Lua script
 * on Redis), so concurrent checks cannot all pass a limit none of them had reached yet. A service key
 * acting for a user spends that user's budget. Switchyard's own checks (the schedule, the CLI) do
 * not come through here, and a system actor has no user to count.
 */
export function createConnectionCheckLimit(deps: ConnectionCheckLimitDeps) {
  return {
    /** Counts one check for the acting user, or throws 429 with Retry-After once the limit is reached. */
    async admit(actor: Actor): Promise<void> {
      if (actor.kind !== "user") return;
      const limit = await deps.settings.get("ratelimit.user_connection_checks_per_minute");
      if (limit === 0) return;
      const window = await deps.store.increment(`connection-checks:user:${actor.userId}`, MINUTE);
      if (window.count <= limit) return;
      const retryAfterSeconds = Math.max(1, Math.ceil(window.resetInMs / 1000));
      throw new AppError(
        "rate_limited",
        `Rate limit reached: at most ${limit} connection tests and model listings per minute per user; ` +
          `try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    },
  };
}

export type ConnectionCheckLimit = ReturnType<typeof createConnectionCheckLimit>;
