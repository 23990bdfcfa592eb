import { createLru } from "../cache/lru.js";
import type { RateLimitStore, WindowCount } from "./interface.js";

interface Window {
  count: number;
  endsAt: number;
}

/**
 * Counters in this process, for one instance on its own or while Redis is unreachable. Bounded, so
 * a flood of distinct keys (client addresses) cannot grow memory without limit.
 */
export function createMemoryRateLimitStore(
  options: { max?: number; now?: () => number } = {},
): RateLimitStore {
  const now = options.now ?? Date.now;
  const windows = createLru<string, Window>({ max: options.max ?? 100_000 });

  const current = (key: string): Window | undefined => {
    const window = windows.get(key);
    if (window && window.endsAt <= now()) {
      windows.delete(key);
      return undefined;
    }
    return window;
  };
  const view = (window: Window | undefined): WindowCount =>
    window
      ? { count: window.count, resetInMs: Math.max(0, window.endsAt - now()) }
      : { count: 0, resetInMs: 0 };

  return {
    increment: async (key, windowMs, cost = 1) => {
      const window = current(key) ?? { count: 0, endsAt: now() + windowMs };
      window.count += cost;
      windows.set(key, window);
      return view(window);
    },
    release: async (key, cost = 1) => {
      const window = current(key);
      if (window) window.count = Math.max(0, window.count - cost);
    },
    peek: async (key) => view(current(key)),
    reset: async (key) => {
      windows.delete(key);
    },
    close: async () => {
      windows.clear();
    },
  };
}
