import type { ConnectionHealth } from "../domain/connections/connection-health.service.js";
import type { ConnectionsRepo } from "../domain/connections/connections.repo.js";
import type { SettingsService } from "../domain/settings/settings.service.js";
import type { Logger } from "../logger.js";

export interface HealthCheckSchedule {
  /** One pass: checks every connection that is due, if periodic checks are on. Returns how many. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

const BATCH = 20;

/**
 * Periodic health checks (the `health.periodic_checks` setting, off by default). Every tick each
 * instance looks for connections not checked within the interval and claims each with a conditional
 * update, so across any number of instances a connection is checked once per interval. A failure
 * marks it failed only after `health.failure_threshold` in a row; one success marks it ok.
 */
export function startHealthCheckSchedule(deps: {
  repo: Pick<ConnectionsRepo, "dueForCheck" | "claimForCheck">;
  health: Pick<ConnectionHealth, "check">;
  settings: Pick<SettingsService, "get">;
  logger: Pick<Logger, "warn" | "debug">;
  tickMs?: number;
  now?: () => Date;
}): HealthCheckSchedule {
  const now = deps.now ?? (() => new Date());
  let running: Promise<number> | undefined;

  const runOnce = async (): Promise<number> => {
    if (!(await deps.settings.get("health.periodic_checks"))) return 0;
    const intervalMs = (await deps.settings.get("health.check_interval_seconds")) * 1000;
    const failureThreshold = await deps.settings.get("health.failure_threshold");
    const at = now();
    const cutoff = new Date(at.getTime() - intervalMs);
    let checked = 0;
    for (const connection of await deps.repo.dueForCheck(cutoff, BATCH)) {
      if (!(await deps.repo.claimForCheck(connection.id, cutoff, at))) continue;
      await deps.health.check(connection, { failureThreshold, testedAt: at });
      checked++;
    }
    if (checked > 0) deps.logger.debug({ checked }, "periodic health checks");
    return checked;
  };

  const tick = () => {
    // One pass at a time per instance; a slow pass simply delays the next.
    running ??= runOnce()
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, "periodic health checks failed");
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, deps.tickMs ?? 15_000);
  timer.unref();

  return {
    runOnce,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
