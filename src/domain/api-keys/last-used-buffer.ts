import type { Logger } from "../../logger.js";
import type { ApiKeysRepo } from "./api-keys.repo.js";

/**
 * last_used_at without a write per request: uses are collected in memory and written in one batch
 * every few seconds (and on close). A crash loses at most one interval of "last used" times, which
 * is information, not state anything depends on.
 */
export interface LastUsedBuffer {
  touch(keyId: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createLastUsedBuffer(deps: {
  repo: Pick<ApiKeysRepo, "touchLastUsed">;
  logger: Pick<Logger, "warn">;
  intervalMs?: number;
}): LastUsedBuffer {
  let pending = new Map<string, Date>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await deps.repo.touchLastUsed(batch);
    } catch (error) {
      deps.logger.warn({ err: error, keys: batch.size }, "could not record API key last use");
    }
  };
  const timer = setInterval(() => void flush(), deps.intervalMs ?? 5_000);
  timer.unref();
  return {
    touch: (keyId) => {
      pending.set(keyId, new Date());
    },
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
