import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import type { Database } from "../../src/db/schema.js";
import { createConnectionSecretStore } from "../../src/secrets/connection-secret-store.js";
import { connectionAad, decryptSecret, encryptSecret, kidOf } from "../../src/secrets/envelope.js";
import { createKeyring, type Keyring } from "../../src/secrets/keyring.js";
import { rotateSecrets } from "../../src/secrets/rotate.js";
import { describeEachDialect, useMigratedDatabase } from "../support/databases.js";

// Real database per dialect, real cipher, the real store and rotation; nothing is faked. MySQL cannot
// roll a test back, so every test makes its own user and rows and looks only at those.

type Db = Kysely<Database>;

const unique = () => uuidv7().replaceAll("-", "").slice(-12);

async function newUser(db: Db): Promise<string> {
  const id = uuidv7();
  await db
    .insertInto("users")
    .values({ id, email: `u-${unique()}@example.test`, password_hash: null })
    .execute();
  return id;
}

/** `count` connections for a new user with keys under `keyring`, plus one without a key. */
async function seed(db: Db, keyring: Keyring, count: number) {
  const userId = await newUser(db);
  const ownerKey = `user:${userId}`;
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = uuidv7();
    ids.push(id);
    await db
      .insertInto("llm_providers")
      .values({
        id,
        scope: "user",
        user_id: userId,
        name: `conn-${i}`,
        provider_type: "openai",
        is_default: false,
        api_key_encrypted: encryptSecret(keyring, `sk-secret-${i}`, connectionAad(id, ownerKey)),
      })
      .execute();
  }
  const nullId = uuidv7();
  await db
    .insertInto("llm_providers")
    .values({
      id: nullId,
      scope: "user",
      user_id: userId,
      name: "no-key",
      provider_type: "openai",
      is_default: false,
      api_key_encrypted: null,
    })
    .execute();
  return { userId, ownerKey, ids, nullId };
}

const blobsOf = async (db: Db, ids: string[]) =>
  new Map(
    (
      await db
        .selectFrom("llm_providers")
        .select(["id", "api_key_encrypted"])
        .where("id", "in", ids)
        .execute()
    ).map((row) => [row.id, row.api_key_encrypted]),
  );

describeEachDialect("connection secret store", (dialect) => {
  const ctx = useMigratedDatabase(dialect);

  it("rotates every stored key to the new kid in batches, leaving keyless rows alone", async () => {
    const { db } = ctx();
    const oldMaster = randomBytes(32);
    const newMaster = randomBytes(32);
    const oldKeyring = createKeyring({ current: oldMaster });
    const rotating = createKeyring({ current: newMaster, previous: [oldMaster] });
    const newOnly = createKeyring({ current: newMaster });
    const count = 5;
    const { ownerKey, ids, nullId } = await seed(db, oldKeyring, count);
    const store = createConnectionSecretStore(db);

    expect(await store.countPending(rotating.currentKid)).toBe(count);
    const before = await blobsOf(db, [...ids, nullId]);

    const result = await rotateSecrets({ keyring: rotating, store, batchSize: 2 });
    expect(result).toEqual({ total: count, rotated: count, skipped: 0, failed: [] });

    const after = await blobsOf(db, [...ids, nullId]);
    expect(after.get(nullId)).toBeNull();
    for (const [i, id] of ids.entries()) {
      const blob = after.get(id)!;
      expect(blob).not.toBe(before.get(id));
      expect(kidOf(blob)).toBe(newOnly.currentKid);
      expect(decryptSecret(newOnly, blob, connectionAad(id, ownerKey))).toBe(`sk-secret-${i}`);
    }
    const plaintextHits = await db
      .selectFrom("llm_providers")
      .select("id")
      .where("api_key_encrypted", "like", "%sk-secret-%")
      .execute();
    expect(plaintextHits).toEqual([]);

    expect(await store.countPending(rotating.currentKid)).toBe(0);
    expect(await rotateSecrets({ keyring: rotating, store, batchSize: 2 })).toEqual({
      total: 0,
      rotated: 0,
      skipped: 0,
      failed: [],
    });
  });

  it("pages by id past the rows it cannot rotate and reports them by id", async () => {
    const { db } = ctx();
    const oldMaster = randomBytes(32);
    const newMaster = randomBytes(32);
    const oldKeyring = createKeyring({ current: oldMaster });
    const rotating = createKeyring({ current: newMaster, previous: [oldMaster] });
    const { ids } = await seed(db, oldKeyring, 3);
    const lost = await seed(db, createKeyring({ current: randomBytes(32) }), 2);
    const store = createConnectionSecretStore(db);

    const result = await rotateSecrets({ keyring: rotating, store, batchSize: 2 });
    // Earlier tests' rows are already under other kids (unknown here) and show up as failed too;
    // only this test's rows are checked.
    const ours = new Set([...ids, ...lost.ids]);
    expect(result.failed.filter((f) => ours.has(f.id))).toEqual(
      lost.ids.map((id) => ({ id, reason: "unknown_key" })),
    );
    const after = await blobsOf(db, [...ids, ...lost.ids]);
    for (const id of ids) expect(kidOf(after.get(id)!)).toBe(rotating.currentKid);
    for (const id of lost.ids) expect(kidOf(after.get(id)!)).not.toBe(rotating.currentKid);
  });

  it("replaces a blob only while it still holds the expected one", async () => {
    const { db } = ctx();
    const keyring = createKeyring({ current: randomBytes(32) });
    const { ids, ownerKey } = await seed(db, keyring, 1);
    const id = ids[0]!;
    const store = createConnectionSecretStore(db);
    const current = (await blobsOf(db, [id])).get(id)!;
    const next = encryptSecret(keyring, "sk-secret-0", connectionAad(id, ownerKey));

    expect(await store.replace(id, "v1:000000000000:stale", next)).toBe(false);
    expect((await blobsOf(db, [id])).get(id)).toBe(current);
    expect(await store.replace(id, current, next)).toBe(true);
    expect((await blobsOf(db, [id])).get(id)).toBe(next);
    expect(await store.replace(id, current, next)).toBe(false);
  });

  it("returns owner_key with each row and pages in id order", async () => {
    const { db } = ctx();
    const keyring = createKeyring({ current: randomBytes(32) });
    const { ids, ownerKey } = await seed(db, keyring, 3);
    const store = createConnectionSecretStore(db);
    const newKid = createKeyring({ current: randomBytes(32) }).currentKid;

    const all: string[] = [];
    let afterId: string | null = null;
    for (;;) {
      const batch = await store.nextBatch(newKid, afterId, 2);
      if (batch.length === 0) break;
      expect(batch.length).toBeLessThanOrEqual(2);
      for (const row of batch) {
        all.push(row.id);
        if (ids.includes(row.id)) expect(row.ownerKey).toBe(ownerKey);
      }
      afterId = batch[batch.length - 1]!.id;
    }
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(ids));
    // The rows already under this keyring's kid are not pending for it.
    const underKeyring = await store.nextBatch(keyring.currentKid, null, 1000);
    const pendingIds = underKeyring.map((r) => r.id);
    for (const id of ids) expect(pendingIds).not.toContain(id);
  });
});
