import { LRUCache } from "lru-cache";

const ONE = () => 1;

/**
 * An LRU map holding at most `max` entries, with optional expiry. lru-cache given `max` allocates
 * its index arrays for that many entries up front (about 1.9 MB for 50,000 with a TTL, whether one
 * entry is ever stored or not); bounding it by size, one per entry, keeps the same eviction but
 * grows its storage with what it holds. The process keeps several such caches sized for large
 * deployments, and at idle they were about 10 MB of the heap.
 */
export function createLru<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(options: {
  max: number;
  ttlMs?: number;
}): LRUCache<K, V> {
  return new LRUCache<K, V>({
    maxSize: options.max,
    sizeCalculation: ONE,
    ...(options.ttlMs === undefined ? {} : { ttl: options.ttlMs }),
  });
}
