import { isProviderError } from "../providers/errors.js";
import type { CancelSignal } from "../providers/cancel-signal.js";

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** The first wait; each later one doubles, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, baseDelayMs: 150 };

/**
 * Retries an upstream call that failed retryably (429, 5xx, timeouts, connection errors) before
 * anything reached the client; the upstream's retry-after wins over the backoff when it is short
 * but not zero (`Retry-After: 0` or a past date would otherwise retry with no pause at all).
 * Stops at once when the client has gone (signal aborted).
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  signal?: CancelSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= policy.retries || !isProviderError(error) || !error.isRetryable || signal?.aborted)
        throw error;
      const backoff = policy.baseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
      const hinted = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined;
      // A long retry-after is the caller's to honour (it gets the 429); only short ones are waited out.
      if (hinted !== undefined && hinted > 2_000) throw error;
      await new Promise((resolve) =>
        setTimeout(resolve, hinted !== undefined && hinted > 0 ? hinted : backoff),
      );
    }
  }
}
