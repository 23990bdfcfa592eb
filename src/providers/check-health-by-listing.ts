import type { HealthCheckResult, ModelInfo, ProviderTarget } from "./spec.js";
import type { CancelSignal } from "./cancel-signal.js";

/** The cheap health check every adapter shares: list the models and time it. */
export async function checkHealthByListing(
  listModels: (target: ProviderTarget, signal?: CancelSignal) => Promise<ModelInfo[]>,
  target: ProviderTarget,
  signal?: CancelSignal,
): Promise<HealthCheckResult> {
  const started = performance.now();
  const models = await listModels(target, signal);
  return { latencyMs: Math.round(performance.now() - started), models };
}
