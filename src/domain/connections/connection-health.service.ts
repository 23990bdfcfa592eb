import type { ProviderDispatchers } from "../../providers/dispatchers.js";
import { isProviderError, type ProviderError } from "../../providers/errors.js";
import type { ProviderAdapter, ProviderType } from "../../providers/spec.js";
import type { Actor } from "../actor.js";
import { AppError } from "../errors.js";
import type { SettingsService } from "../settings/settings.service.js";
import type { ConnectionCheckLimit } from "./connection-check-limit.js";
import type { ConnectionTestResult, ModelList } from "./connection-health.schemas.js";
import { connectionLabel } from "./connection-label.js";
import { ConnectionNotCallable, connectionTarget } from "./connection-target.js";
import type { ConnectionRecord, ConnectionsRepo } from "./connections.repo.js";
import type { ConnectionsService } from "./connections.service.js";

export interface ConnectionHealthDeps {
  connections: Pick<ConnectionsService, "findUsable" | "mayChange">;
  repo: Pick<ConnectionsRepo, "recordCheck">;
  connectionKey(connection: ConnectionRecord): Promise<string | undefined>;
  connectionHeaders(connection: ConnectionRecord): Record<string, string> | undefined;
  adapterFor(type: ProviderType): ProviderAdapter;
  dispatchers: Pick<ProviderDispatchers, "forPolicy">;
  settings: Pick<SettingsService, "get">;
  /** Counts a user's tests and model listings, which spend the connection's key upstream. */
  limit: Pick<ConnectionCheckLimit, "admit">;
  onChange(): Promise<void>;
  now?: () => Date;
}

/**
 * "Test connection" and the model list: the upstream's cheapest real endpoint (its model list), within
 * the connection's own timeout, through the SSRF-guarded dispatcher. The key is resolved only for a
 * caller who may already use the connection (findUsable), so a test cannot read an `env:` key for
 * someone else.
 */
export function createConnectionHealth(deps: ConnectionHealthDeps) {
  const now = deps.now ?? (() => new Date());

  /** A caller who may not change the connection gets upstream errors that name it, not its host. */
  const targetFor = (c: ConnectionRecord, mayChange: boolean) =>
    connectionTarget(deps, c, mayChange ? undefined : connectionLabel(c));

  /**
   * Runs the check on a connection the caller was already allowed to use, and records the result:
   * at once, or (periodic checks) failed only after `failureThreshold` failures in a row. `record`
   * false is a caller who may not change the connection: nothing is recorded, and its error names
   * the connection instead of the upstream's host (what is recorded keeps the host, for managers).
   */
  async function check(
    c: ConnectionRecord,
    options: { failureThreshold?: number; testedAt?: Date; record?: boolean } = {},
  ): Promise<ConnectionTestResult> {
    const started = performance.now();
    // A scheduled check records the time it claimed the connection at, which the claim compares.
    const testedAt = options.testedAt ?? now();
    let result: ConnectionTestResult;
    try {
      const health = await deps
        .adapterFor(c.providerType)
        .checkHealth(await targetFor(c, options.record !== false));
      result = {
        health_status: "ok",
        latency_ms: Math.round(health.latencyMs),
        models: health.models.map((m) => m.id),
        tested_at: testedAt.toISOString(),
      };
    } catch (error) {
      if (!(error instanceof ConnectionNotCallable) && !isProviderError(error)) throw error;
      result = {
        health_status: "failed",
        latency_ms: Math.round(performance.now() - started),
        error: error.message,
        tested_at: testedAt.toISOString(),
      };
    }
    if (options.record === false) return result;
    await deps.repo.recordCheck(c.id, {
      ok: result.health_status === "ok",
      testedAt,
      lastError: result.error ?? null,
      failureThreshold: options.failureThreshold,
    });
    await deps.onChange();
    return result;
  }

  return {
    check,

    /**
     * Tests a connection the caller may use. The result is recorded (health status, last error) only
     * when the caller may also change the connection: a plain user testing a system or org
     * connection sees the result, but cannot mark it failed for everyone, nor make every user's
     * resolution cache reload. Over the caller's limit it is 429, with no upstream call and nothing
     * recorded.
     */
    async test(actor: Actor, id: string): Promise<ConnectionTestResult> {
      const c = await deps.connections.findUsable(actor, id);
      await deps.limit.admit(actor);
      return check(c, { record: await deps.connections.mayChange(actor, c) });
    },

    /**
     * The upstream's model list; counted against the caller's limit as a test is. Its errors name
     * the upstream's host for the connection's managers only, as a test's do.
     */
    async models(actor: Actor, id: string): Promise<ModelList> {
      const c = await deps.connections.findUsable(actor, id);
      await deps.limit.admit(actor);
      const mayChange = await deps.connections.mayChange(actor, c);
      try {
        return { items: await deps.adapterFor(c.providerType).listModels(await targetFor(c, mayChange)) };
      } catch (error) {
        if (error instanceof ConnectionNotCallable) throw new AppError("bad_request", error.message);
        if (isProviderError(error)) throw upstreamError(error);
        throw error;
      }
    },
  };
}

function upstreamError(error: ProviderError): AppError {
  return new AppError(error.kind === "timeout" ? "upstream_timeout" : "upstream_failed", error.message);
}

export type ConnectionHealth = ReturnType<typeof createConnectionHealth>;
