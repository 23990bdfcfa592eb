import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { expect, it } from "vitest";
import { holdsEncryptedConnectionSecrets } from "../../src/secrets/connection-secret-store.js";
import { connectionAad, encryptSecret } from "../../src/secrets/envelope.js";
import { encryptHeaderValues } from "../../src/secrets/header-values.js";
import { createKeyring, type Keyring } from "../../src/secrets/keyring.js";
import type { Kysely } from "kysely";
import type { Database } from "../../src/db/schema.js";
import { composeSwitchyard } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDialect, useMigratedDatabase } from "../support/databases.js";

// What decides whether a master key may be generated (master-key.ts): a database that holds any
// encrypted connection secret, a key or credential-like header values alone, must refuse a new key.
// Real database per dialect; the cases run in order on one database of their own.

/** A new user's connection whose key and credential-like header values, when given, are under `keyring`. */
async function insertConnection(
  db: Kysely<Database>,
  keyring: Keyring,
  secrets: { apiKey?: string; headers?: Record<string, string> },
): Promise<string> {
  const userId = uuidv7();
  await db
    .insertInto("users")
    .values({ id: userId, email: `u-${userId}@example.test`, password_hash: null })
    .execute();
  const id = uuidv7();
  const ownerKey = `user:${userId}`;
  await db
    .insertInto("llm_providers")
    .values({
      id,
      scope: "user",
      user_id: userId,
      name: "c",
      provider_type: "openai",
      is_default: false,
      api_key_encrypted:
        secrets.apiKey === undefined
          ? null
          : encryptSecret(keyring, secrets.apiKey, connectionAad(id, ownerKey)),
      secret_headers_encrypted:
        secrets.headers === undefined ? null : encryptHeaderValues(keyring, secrets.headers, id, ownerKey),
    })
    .execute();
  return id;
}

describeEachDialect("holdsEncryptedConnectionSecrets", (dialect) => {
  const database = useMigratedDatabase(dialect);
  const keyring = createKeyring({ current: randomBytes(32) });

  const newConnection = (values: { apiKey?: boolean; headers?: boolean }) =>
    insertConnection(database().db, keyring, {
      apiKey: values.apiKey ? "sk-x" : undefined,
      headers: values.headers ? { "X-Auth-Token": "tok-x" } : undefined,
    });

  it("is false for a database without encrypted secrets, connections without any included", async () => {
    await newConnection({});
    expect(await holdsEncryptedConnectionSecrets(database().db)).toBe(false);
  });

  it("is true when only custom header values are encrypted", async () => {
    const id = await newConnection({ headers: true });
    expect(await holdsEncryptedConnectionSecrets(database().db)).toBe(true);
    await database().db.deleteFrom("llm_providers").where("id", "=", id).execute();
  });

  it("is true when a key is encrypted", async () => {
    await newConnection({ apiKey: true });
    expect(await holdsEncryptedConnectionSecrets(database().db)).toBe(true);
  });
});

describeEachDialect("start-up with secrets under a master key it lacks", (dialect) => {
  const database = useMigratedDatabase(dialect);
  const oldMaster = randomBytes(32);
  const newMaster = randomBytes(32);

  /** Starts an instance on the database with these keys; the lines it logged while starting. */
  async function startWith(env: Record<string, string>): Promise<string> {
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      destination: { write: (line: string) => void lines.push(line) },
    });
    const config = loadConfig(env, { databaseUrl: database().test.url, port: 0 });
    const sy = await composeSwitchyard(config, { logger });
    await sy.close();
    return lines.join("");
  }

  it("warns with the key id and how many secrets, never a secret; not once the key is a previous one", async () => {
    const old = createKeyring({ current: oldMaster });
    await insertConnection(database().db, old, {
      apiKey: "sk-under-the-old-key",
      headers: { "X-Auth-Token": "tok-old" },
    });
    const oldKid = old.currentKid;

    const logged = await startWith({ SWITCHYARD_MASTER_KEY: newMaster.toString("base64") });
    expect(logged).toContain(`2 stored connection secret(s) are encrypted under master key ${oldKid}`);
    expect(logged).not.toContain("sk-under-the-old-key");
    expect(logged).not.toContain("tok-old");
    expect(logged).not.toContain(oldMaster.toString("base64"));

    const rotating = await startWith({
      SWITCHYARD_MASTER_KEY: newMaster.toString("base64"),
      SWITCHYARD_PREVIOUS_MASTER_KEYS: oldMaster.toString("base64"),
    });
    expect(rotating).not.toContain("which this instance does not have");
  });
});
