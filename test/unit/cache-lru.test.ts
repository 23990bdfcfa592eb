import { describe, expect, it } from "vitest";
import { createLru } from "../../src/cache/lru.js";

describe("createLru", () => {
  it("holds at most max entries, evicting the least recently used", () => {
    const lru = createLru<string, number>({ max: 3 });
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("c", 3);
    expect(lru.get("a")).toBe(1); // a is now the most recent; b the least
    lru.set("d", 4);
    expect(lru.size).toBe(3);
    expect(lru.has("b")).toBe(false);
    expect([...lru.keys()].sort()).toEqual(["a", "c", "d"]);
  });

  it("stays bounded under many more entries than max", () => {
    const lru = createLru<string, { n: number }>({ max: 1000 });
    for (let n = 0; n < 5000; n++) lru.set(`k${n}`, { n });
    expect(lru.size).toBe(1000);
    expect(lru.get("k3999")).toBeUndefined();
    expect(lru.get("k4000")).toEqual({ n: 4000 });
  });

  it("replacing an entry does not count it twice", () => {
    const lru = createLru<string, number>({ max: 2 });
    lru.set("a", 1);
    lru.set("a", 2);
    lru.set("b", 3);
    expect(lru.size).toBe(2);
    expect(lru.get("a")).toBe(2);
  });

  it("expires entries after ttlMs", async () => {
    // lru-cache reads performance.now(), which fake timers leave alone: a short real wait instead.
    const lru = createLru<string, number>({ max: 10, ttlMs: 20 });
    const lasting = createLru<string, number>({ max: 10, ttlMs: 60_000 });
    lru.set("a", 1);
    lasting.set("a", 1);
    expect(lru.get("a")).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(lru.get("a")).toBeUndefined();
    expect(lasting.get("a")).toBe(1);
  });
});
