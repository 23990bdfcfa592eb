import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { withRetries } from "../../src/gateway/with-retries.js";
import { ProviderError } from "../../src/providers/errors.js";

// The waits between attempts, on fake timers: which attempt has run after how long.

describe("withRetries", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A call that fails `failures` times with `error`, then answers; counts its attempts. */
  const flaky = (failures: number, error: () => Error) => {
    const state = { attempts: 0 };
    const fn = () => {
      state.attempts++;
      return state.attempts <= failures ? Promise.reject(error()) : Promise.resolve("ok");
    };
    return { state, fn };
  };

  it("backs off when the upstream's hint is 0 (Retry-After: 0, or a past date): no retry without a pause", async () => {
    const { state, fn } = flaky(1, () => new ProviderError("rate_limited", "x", { retryAfterSeconds: 0 }));
    const result = withRetries(fn, { retries: 2, baseDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(40); // the backoff is 50-100 ms
    expect(state.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(70);
    expect(state.attempts).toBe(2);
    await expect(result).resolves.toBe("ok");
  });

  it("waits out a short hint instead of the backoff", async () => {
    const { state, fn } = flaky(1, () => new ProviderError("rate_limited", "x", { retryAfterSeconds: 1 }));
    const result = withRetries(fn, { retries: 2, baseDelayMs: 10 });
    await vi.advanceTimersByTimeAsync(900);
    expect(state.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(150);
    expect(state.attempts).toBe(2);
    await expect(result).resolves.toBe("ok");
  });

  it("answers a long hint at once (the caller gets the 429 and its Retry-After); does not retry what is not retryable", async () => {
    const long = flaky(1, () => new ProviderError("rate_limited", "x", { retryAfterSeconds: 30 }));
    await expect(withRetries(long.fn, { retries: 2, baseDelayMs: 10 })).rejects.toMatchObject({
      retryAfterSeconds: 30,
    });
    expect(long.state.attempts).toBe(1);
    const auth = flaky(1, () => new ProviderError("auth", "x", { status: 401 }));
    await expect(withRetries(auth.fn, { retries: 2, baseDelayMs: 10 })).rejects.toMatchObject({
      kind: "auth",
    });
    expect(auth.state.attempts).toBe(1);
  });
});
