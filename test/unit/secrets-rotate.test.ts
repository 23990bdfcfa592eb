import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { connectionAad, decryptSecret, encryptSecret, kidOf } from "../../src/secrets/envelope.js";
import { createKeyring, type Keyring } from "../../src/secrets/keyring.js";
import {
  rotateSecrets,
  type RotationProgress,
  type SecretStore,
  type StoredSecret,
} from "../../src/secrets/rotate.js";

// The cipher is real; the store is an in-memory fake that keeps SecretStore's contract (pending =
// blob not under the current kid, id order, keyset paging, compare-and-set). The database stores
// are proven against that same contract in test/integration/connection-secret-store.test.ts.

interface Row {
  ownerKey: string;
  blob: string | null;
}

class MemoryStore implements SecretStore {
  readonly rows = new Map<string, Row>();
  replaceCalls = 0;

  add(id: string, ownerKey: string, blob: string | null): void {
    this.rows.set(id, { ownerKey, blob });
  }

  private pending(currentKid: string): StoredSecret[] {
    return [...this.rows.entries()]
      .filter(([, row]) => row.blob !== null && !row.blob.startsWith(`v1:${currentKid}:`))
      .map(([id, row]) => ({ id, ownerKey: row.ownerKey, blob: row.blob! }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async countPending(currentKid: string): Promise<number> {
    return this.pending(currentKid).length;
  }

  async nextBatch(currentKid: string, afterId: string | null, limit: number) {
    return this.pending(currentKid)
      .filter((row) => afterId === null || row.id > afterId)
      .slice(0, limit);
  }

  async replace(id: string, oldBlob: string, newBlob: string): Promise<boolean> {
    this.replaceCalls += 1;
    const row = this.rows.get(id);
    if (!row || row.blob !== oldBlob) return false;
    row.blob = newBlob;
    return true;
  }
}

const oldMaster = randomBytes(32);
const newMaster = randomBytes(32);
const oldKeyring = createKeyring({ current: oldMaster });
const newOnly = createKeyring({ current: newMaster });
const rotating = createKeyring({ current: newMaster, previous: [oldMaster] });

/** Sortable ids, like the UUIDv7s the real tables use. */
const idOf = (i: number) => `row-${String(i).padStart(4, "0")}`;
const ownerOf = (i: number) => `user:owner-${i % 3}`;
const secretOf = (i: number) => `sk-secret-${i}-${"x".repeat(20)}`;

/** A store with `count` rows encrypted under `keyring`, plus one row without a key. */
function storeWith(count: number, keyring: Keyring = oldKeyring): MemoryStore {
  const store = new MemoryStore();
  for (let i = 0; i < count; i += 1) {
    store.add(idOf(i), ownerOf(i), encryptSecret(keyring, secretOf(i), connectionAad(idOf(i), ownerOf(i))));
  }
  store.add("row-nokey", "system", null);
  return store;
}

/** Every row with a key decrypts with `keyring` to its original secret. */
function expectAllReadable(store: MemoryStore, keyring: Keyring, count: number): void {
  for (let i = 0; i < count; i += 1) {
    const row = store.rows.get(idOf(i))!;
    expect(decryptSecret(keyring, row.blob!, connectionAad(idOf(i), row.ownerKey))).toBe(secretOf(i));
  }
}

const kidsIn = (store: MemoryStore) =>
  [...store.rows.values()].flatMap((row) => (row.blob === null ? [] : [kidOf(row.blob)]));

describe("rotateSecrets", () => {
  it("re-encrypts every row under the current kid", async () => {
    const store = storeWith(7);
    const before = new Map([...store.rows].map(([id, row]) => [id, row.blob]));
    const result = await rotateSecrets({ keyring: rotating, store, batchSize: 3 });

    expect(result).toEqual({ total: 7, rotated: 7, skipped: 0, failed: [] });
    expect(kidsIn(store)).toEqual(Array(7).fill(newOnly.currentKid));
    for (const [id, row] of store.rows) {
      if (row.blob !== null) expect(row.blob).not.toBe(before.get(id));
    }
    expect(store.rows.get("row-nokey")!.blob).toBeNull();
    // Readable with the new key alone: the old master can now be retired.
    expectAllReadable(store, newOnly, 7);
  });

  it("finds nothing to do on a second run", async () => {
    const store = storeWith(5);
    await rotateSecrets({ keyring: rotating, store, batchSize: 2 });
    const after = new Map([...store.rows].map(([id, row]) => [id, row.blob]));
    store.replaceCalls = 0;

    const again = await rotateSecrets({ keyring: rotating, store, batchSize: 2 });
    expect(again).toEqual({ total: 0, rotated: 0, skipped: 0, failed: [] });
    expect(store.replaceCalls).toBe(0);
    expect(new Map([...store.rows].map(([id, row]) => [id, row.blob]))).toEqual(after);
  });

  it("handles an empty store and a batch size that divides the rows exactly", async () => {
    expect(await rotateSecrets({ keyring: rotating, store: new MemoryStore() })).toEqual({
      total: 0,
      rotated: 0,
      skipped: 0,
      failed: [],
    });
    const store = storeWith(4);
    expect(await rotateSecrets({ keyring: rotating, store, batchSize: 2 })).toMatchObject({
      total: 4,
      rotated: 4,
    });
  });

  it("leaves every row readable after a crash part-way, and a rerun completes it", async () => {
    const store = storeWith(10);
    const crashAfter = 4;
    let replaced = 0;
    const crashing: SecretStore = {
      countPending: (kid) => store.countPending(kid),
      nextBatch: (kid, afterId, limit) => store.nextBatch(kid, afterId, limit),
      async replace(id, oldBlob, newBlob) {
        if (replaced === crashAfter) throw new Error("connection lost");
        replaced += 1;
        return store.replace(id, oldBlob, newBlob);
      },
    };

    await expect(rotateSecrets({ keyring: rotating, store: crashing, batchSize: 3 })).rejects.toThrow(
      "connection lost",
    );

    // Half-way: each row is either its old or its new blob, and the rotating keyring reads both.
    const kids = kidsIn(store);
    expect(kids.filter((kid) => kid === newOnly.currentKid)).toHaveLength(crashAfter);
    expect(kids.filter((kid) => kid === oldKeyring.currentKid)).toHaveLength(10 - crashAfter);
    expectAllReadable(store, rotating, 10);

    const rerun = await rotateSecrets({ keyring: rotating, store, batchSize: 3 });
    expect(rerun).toEqual({ total: 10 - crashAfter, rotated: 10 - crashAfter, skipped: 0, failed: [] });
    expect(kidsIn(store)).toEqual(Array(10).fill(newOnly.currentKid));
    expectAllReadable(store, newOnly, 10);
  });

  it("skips a row changed between read and write (compare-and-set lost), keeping the new value", async () => {
    const store = storeWith(4);
    const changedId = idOf(2);
    const userWrote = encryptSecret(rotating, "sk-user-updated-key", connectionAad(changedId, ownerOf(2)));
    const racing: SecretStore = {
      countPending: (kid) => store.countPending(kid),
      nextBatch: (kid, afterId, limit) => store.nextBatch(kid, afterId, limit),
      async replace(id, oldBlob, newBlob) {
        // The user saves a new key for this connection just before the rotation writes.
        if (id === changedId) store.rows.get(id)!.blob = userWrote;
        return store.replace(id, oldBlob, newBlob);
      },
    };

    const result = await rotateSecrets({ keyring: rotating, store: racing, batchSize: 10 });
    expect(result).toEqual({ total: 4, rotated: 3, skipped: 1, failed: [] });
    expect(store.rows.get(changedId)!.blob).toBe(userWrote);
    expect(decryptSecret(newOnly, userWrote, connectionAad(changedId, ownerOf(2)))).toBe(
      "sk-user-updated-key",
    );
  });

  it("reports rows it cannot decrypt by id and reason, without a secret, and goes on", async () => {
    const store = storeWith(3);
    const lostKeyring = createKeyring({ current: randomBytes(32) });
    store.add(
      "row-0001a",
      "user:owner-x",
      encryptSecret(lostKeyring, "sk-lost-secret", connectionAad("row-0001a", "user:owner-x")),
    );
    // Copied from another row: its AAD names row-0000, not this one.
    const copied = store.rows.get(idOf(0))!.blob!;
    store.add("row-0001b", ownerOf(0), copied);
    store.add("row-0001c", "system", "not-an-envelope");

    const result = await rotateSecrets({ keyring: rotating, store, batchSize: 2 });
    expect(result.total).toBe(6);
    expect(result.rotated).toBe(3);
    expect(result.skipped).toBe(0);
    expect(result.failed).toEqual([
      { id: "row-0001a", reason: "unknown_key" },
      { id: "row-0001b", reason: "authentication_failed" },
      { id: "row-0001c", reason: "malformed" },
    ]);
    const shown = JSON.stringify(result);
    for (const text of ["sk-lost-secret", secretOf(0), copied]) expect(shown).not.toContain(text);

    // The failed rows are left exactly as they were; the others are rotated.
    expect(store.rows.get("row-0001b")!.blob).toBe(copied);
    expect(store.rows.get("row-0001c")!.blob).toBe("not-an-envelope");
    expectAllReadable(store, newOnly, 3);
  });

  it("reports progress after every batch", async () => {
    const store = storeWith(5);
    const progress: RotationProgress[] = [];
    await rotateSecrets({ keyring: rotating, store, batchSize: 2, onProgress: (p) => progress.push(p) });
    expect(progress).toEqual([
      { total: 5, processed: 2, rotated: 2, skipped: 0, failed: 0 },
      { total: 5, processed: 4, rotated: 4, skipped: 0, failed: 0 },
      { total: 5, processed: 5, rotated: 5, skipped: 0, failed: 0 },
    ]);
  });

  it("uses the AAD function it is given, for tables other than llm_providers", async () => {
    const store = new MemoryStore();
    const aad = (row: StoredSecret) => `other_table:${row.id}`;
    store.add("a", "system", encryptSecret(oldKeyring, "sk-a-secret", "other_table:a"));
    const result = await rotateSecrets({ keyring: rotating, store, aad });
    expect(result).toEqual({ total: 1, rotated: 1, skipped: 0, failed: [] });
    expect(decryptSecret(newOnly, store.rows.get("a")!.blob!, "other_table:a")).toBe("sk-a-secret");
  });

  it("refuses a batch size that is not a positive integer", async () => {
    for (const batchSize of [0, -1, 1.5]) {
      await expect(rotateSecrets({ keyring: rotating, store: new MemoryStore(), batchSize })).rejects.toThrow(
        RangeError,
      );
    }
  });
});
