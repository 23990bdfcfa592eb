import { EventEmitter } from "node:events";
import type { CachedMap, InvalidationBus } from "./interface.js";
import { createLru } from "./lru.js";

/** The bus for one process on its own (the embedded default): invalidations stay local. */
export function createMemoryBus(): InvalidationBus {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  return {
    publish: async (cache, key) => {
      events.emit(cache, key);
    },
    subscribe: (cache, onInvalidate) => {
      events.on(cache, onInvalidate);
    },
    close: async () => {
      events.removeAllListeners();
    },
  };
}

export interface CachedMapOptions {
  /** Unique per kind of entry; the bus channel is named after it. */
  name: string;
  max: number;
  ttlMs: number;
  bus: InvalidationBus;
}

/** A key no entry can have (keys are ids, hashes and emails), meaning "every entry". */
const CLEAR_ALL = "\u0000*";

/** An LRU map with expiry whose invalidations reach every instance through the bus. */
export function createCachedMap<V extends object>(options: CachedMapOptions): CachedMap<V> {
  const lru = createLru<string, V>({ max: options.max, ttlMs: options.ttlMs });
  const inflight = new Map<string, Promise<V | undefined>>();
  // Bumped on every invalidation, so a load that started before it does not cache what it read.
  let generation = 0;
  options.bus.subscribe(options.name, (key) => {
    generation++;
    if (key === CLEAR_ALL) lru.clear();
    else lru.delete(key);
  });

  return {
    get: (key) => lru.get(key),
    set: (key, value) => {
      lru.set(key, value);
    },
    clear: async () => {
      generation++;
      lru.clear();
      await options.bus.publish(options.name, CLEAR_ALL);
    },
    invalidate: async (key) => {
      generation++;
      lru.delete(key);
      await options.bus.publish(options.name, key);
    },
    getOrLoad: async (key, load) => {
      const hit = lru.get(key);
      if (hit !== undefined) return hit;
      const pending = inflight.get(key);
      if (pending) return pending;
      const startedAt = generation;
      const loading = load()
        .then((value) => {
          if (value !== undefined && generation === startedAt) lru.set(key, value);
          return value;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, loading);
      return loading;
    },
  };
}
