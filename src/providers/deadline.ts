import { ProviderError } from "./errors.js";

/**
 * One time budget shared by the requests of one call (a listing that pages): each request gets what
 * is left, and none starts once it is spent.
 */
export interface Deadline {
  /** Milliseconds left; throws ProviderError `timeout` when none are. */
  remainingMs(where: string): number;
}

export function startDeadline(timeoutMs: number): Deadline {
  const endsAt = performance.now() + timeoutMs;
  return {
    remainingMs(where) {
      const left = Math.ceil(endsAt - performance.now());
      if (left <= 0) throw new ProviderError("timeout", `${where} did not answer within ${timeoutMs} ms`);
      return left;
    },
  };
}
