import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import type { RateLimitStore, WindowCount } from "./interface.js";
import { createMemoryRateLimitStore } from "./memory.js";

// One round trip, atomic: add to the window, start its expiry on the first hit, report both.
const INCREMENT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
return {count, ttl}
`;

// Atomic too: a concurrent increment between a read and a write would otherwise be lost. DECRBY
// keeps the key's expiry; a missing key (an ended window) is left missing.
const RELEASE = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECRBY', KEYS[1], math.min(count, tonumber(ARGV[1]))) end
return 0
`;

const PREFIX = "switchyard:rl:";

/**
 * Counters shared by every instance. If Redis cannot be reached the store keeps answering from
 * process memory (limits then hold per instance rather than globally) and says so in the log once,
 * rather than failing every request that a limit guards.
 */
export function createRedisRateLimitStore(
  redisUrl: string,
  logger: Pick<Logger, "warn" | "info">,
): RateLimitStore {
  // Commands queue while the first connection is made (a store is used right after start-up), but
  // none waits long: past the timeout the memory fallback answers instead.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 500 });
  const fallback = createMemoryRateLimitStore();
  let degraded = false;
  redis.on("error", () => {
    // Reported once per outage by degrade().
  });
  redis.on("ready", () => {
    if (degraded) logger.info("redis reachable again: rate limits are shared across instances");
    degraded = false;
  });
  const degrade = (error: unknown) => {
    if (!degraded) {
      logger.warn(
        { err: { message: error instanceof Error ? error.message : String(error) } },
        "redis unavailable: rate limits fall back to this instance's memory",
      );
    }
    degraded = true;
  };

  return {
    increment: async (key, windowMs, cost = 1): Promise<WindowCount> => {
      // During an outage every call would wait out the timeout; go straight to memory until ready.
      if (degraded) return fallback.increment(key, windowMs, cost);
      try {
        const [count, ttl] = (await redis.eval(INCREMENT, 1, PREFIX + key, cost, windowMs)) as [
          number,
          number,
        ];
        return { count, resetInMs: ttl };
      } catch (error) {
        degrade(error);
        return fallback.increment(key, windowMs, cost);
      }
    },
    release: async (key, cost = 1) => {
      if (degraded) return fallback.release(key, cost);
      try {
        await redis.eval(RELEASE, 1, PREFIX + key, cost);
      } catch (error) {
        degrade(error);
        await fallback.release(key, cost);
      }
    },
    peek: async (key) => {
      if (degraded) return fallback.peek(key);
      try {
        const [count, ttl] = await Promise.all([redis.get(PREFIX + key), redis.pttl(PREFIX + key)]);
        return { count: count === null ? 0 : Number(count), resetInMs: Math.max(0, ttl) };
      } catch (error) {
        degrade(error);
        return fallback.peek(key);
      }
    },
    reset: async (key) => {
      await fallback.reset(key);
      try {
        await redis.del(PREFIX + key);
      } catch (error) {
        degrade(error);
      }
    },
    close: async () => {
      redis.disconnect();
      await fallback.close();
    },
  };
}
