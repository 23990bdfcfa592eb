import { describe, expect, it } from "vitest";
import { createLastUsedBuffer } from "../../src/domain/api-keys/last-used-buffer.js";

// A fake repo that records what would be written: the buffer's job is what reaches the database, and when.
function fakeRepo() {
  const writes: Map<string, Date>[] = [];
  return {
    writes,
    touchLastUsed: async (uses: ReadonlyMap<string, Date>) => {
      writes.push(new Map(uses));
    },
  };
}
const logger = { warn: () => {} };

describe("API key last_used_at buffer", () => {
  it("writes nothing per request, then one batch with the latest use of each key", async () => {
    const repo = fakeRepo();
    const buffer = createLastUsedBuffer({ repo, logger, intervalMs: 3_600_000 });
    buffer.touch("a");
    buffer.touch("b");
    buffer.touch("a");
    expect(repo.writes).toHaveLength(0);
    await buffer.flush();
    expect(repo.writes).toHaveLength(1);
    expect([...repo.writes[0]!.keys()].sort()).toEqual(["a", "b"]);
    await buffer.flush();
    expect(repo.writes).toHaveLength(1);
    await buffer.close();
  });

  it("flushes what is pending on close", async () => {
    const repo = fakeRepo();
    const buffer = createLastUsedBuffer({ repo, logger, intervalMs: 3_600_000 });
    buffer.touch("k");
    await buffer.close();
    expect(repo.writes.map((w) => [...w.keys()])).toEqual([["k"]]);
  });

  it("a failed write is logged, not thrown", async () => {
    const warnings: unknown[] = [];
    const buffer = createLastUsedBuffer({
      repo: { touchLastUsed: async () => Promise.reject(new Error("db down")) },
      logger: { warn: (obj: unknown) => void warnings.push(obj) },
      intervalMs: 3_600_000,
    });
    buffer.touch("k");
    await expect(buffer.flush()).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    await buffer.close();
  });
});
