/**
 * Caches here are per process (the hot path reads memory, never the network) and stay correct across
 * instances through an invalidation bus: whoever changes the source of truth invalidates the key,
 * and every instance drops its copy. Entries also expire, which bounds staleness if a message is
 * lost while Redis is unreachable.
 */
export interface InvalidationBus {
  /** Drops `key` from the named cache in every instance, this one included. */
  publish(cache: string, key: string): Promise<void>;
  subscribe(cache: string, onInvalidate: (key: string) => void): void;
  close(): Promise<void>;
}

export interface CachedMap<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  /** Drops the key here and, through the bus, in every other instance. */
  invalidate(key: string): Promise<void>;
  /** Drops every entry, here and in every other instance. */
  clear(): Promise<void>;
  /** Returns the cached value or loads, caches and returns it (concurrent misses share one load). */
  getOrLoad(key: string, load: () => Promise<V | undefined>): Promise<V | undefined>;
}
