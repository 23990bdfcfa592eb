import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import type { InvalidationBus } from "./interface.js";

const CHANNEL = "switchyard:invalidate";

/**
 * Invalidation across instances over Redis pub/sub. Every instance subscribes to one channel; a
 * message names the cache and the key. While Redis is unreachable, messages are lost and entries
 * live out their TTL; the log says so.
 */
export function createRedisBus(redisUrl: string, logger: Pick<Logger, "warn" | "info">): InvalidationBus {
  // Publishes queue while connecting (the first ones come right after start-up) but wait at most
  // the command timeout; a lost invalidation is bounded by the caches' TTL.
  const options = { maxRetriesPerRequest: 1, commandTimeout: 1_000 };
  const publisher = new Redis(redisUrl, options);
  const subscriber = new Redis(redisUrl, options);
  const handlers = new Map<string, ((key: string) => void)[]>();
  let warned = false;

  for (const [name, connection] of [
    ["publisher", publisher],
    ["subscriber", subscriber],
  ] as const) {
    connection.on("error", (error: Error) => {
      if (!warned) logger.warn({ err: { message: error.message }, connection: name }, "redis unavailable");
      warned = true;
    });
    connection.on("ready", () => {
      if (warned) logger.info({ connection: name }, "redis reachable again");
      warned = false;
    });
  }

  void subscriber.subscribe(CHANNEL).catch(() => {
    // Reported by the error handler; ioredis resubscribes when it reconnects.
  });
  subscriber.on("message", (_channel: string, message: string) => {
    const separator = message.indexOf("\n");
    if (separator < 0) return;
    const cache = message.slice(0, separator);
    const key = message.slice(separator + 1);
    for (const handler of handlers.get(cache) ?? []) handler(key);
  });

  return {
    publish: async (cache, key) => {
      // Local handlers run through the subscription too, but not if Redis is down; run them here
      // first so this instance is never stale about its own change.
      for (const handler of handlers.get(cache) ?? []) handler(key);
      try {
        await publisher.publish(CHANNEL, `${cache}\n${key}`);
      } catch (error) {
        logger.warn(
          { err: { message: (error as Error).message }, cache },
          "could not publish a cache invalidation",
        );
      }
    },
    subscribe: (cache, onInvalidate) => {
      handlers.set(cache, [...(handlers.get(cache) ?? []), onInvalidate]);
    },
    close: async () => {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
