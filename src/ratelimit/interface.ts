/**
 * Fixed-window counters: the building block for login throttling and the gateway's per-minute
 * limits. A window starts at a key's first hit and lasts windowMs.
 */
export interface WindowCount {
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

export interface RateLimitStore {
  /** Adds `cost` to the key's current window and returns the new total. Atomic across instances. */
  increment(key: string, windowMs: number, cost?: number): Promise<WindowCount>;
  /**
   * Takes `cost` back from the key's current window, for a hit reserved with increment that turned
   * out not to count. Never below zero and never starts a window, so a late release cannot leave
   * credit behind.
   */
  release(key: string, cost?: number): Promise<void>;
  /** The current window's total without adding to it. */
  peek(key: string): Promise<WindowCount>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}
