import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { composeSwitchyard } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { systemActor, userActor } from "../../src/domain/actor.js";
import { createLogger } from "../../src/logger.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";

const quiet = () => createLogger({ level: "silent" });

describeEachDialect("switchyard keys rotate and seed", (dialect) => {
  let testDb: TestDatabase;
  const oldKey = randomBytes(32).toString("base64");
  const newKey = randomBytes(32).toString("base64");
  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  const open = (masterKey: string, previous?: string) =>
    composeSwitchyard(
      loadConfig(previous ? { SWITCHYARD_PREVIOUS_MASTER_KEYS: previous } : {}, {
        databaseUrl: testDb.url,
        masterKey,
      }),
      { logger: quiet() },
    );

  it("re-encrypts every key and credential-like header value under the new master key; a rerun has nothing left to do", async () => {
    const before = await open(oldKey);
    const secrets = ["sk-rotate-one-1111", "sk-rotate-two-2222", "sk-rotate-three-3333"];
    const ids: string[] = [];
    const headerValue = "tok-rotate-header-4444";
    const legacyValue = "tok-rotate-legacy-5555";
    let withHeader: string;
    let legacy: string;
    try {
      const user = await before.services.users.create(systemActor("test"), {
        email: `rot-${randomBytes(3).toString("hex")}@example.test`,
        password: "long enough pw",
      });
      for (const [i, key] of secrets.entries()) {
        const c = await before.services.connections.create(userActor(user.id, ["user"]), {
          name: `c${i}`,
          provider_type: "openai",
          api_key: key,
        });
        ids.push(c.id);
      }
      const actor = userActor(user.id, ["user"]);
      withHeader = (
        await before.services.connections.create(actor, {
          name: "with-header",
          provider_type: "openai-compatible",
          base_url: "https://llm.example.test/v1",
          config: { headers: { "X-Auth-Token": headerValue, "X-Team": "keys" } },
        })
      ).id;
      legacy = (
        await before.services.connections.create(actor, {
          name: "legacy-header",
          provider_type: "openai-compatible",
          base_url: "https://llm.example.test/v1",
        })
      ).id;
      // As an earlier version stored it: the value in plain text in the config JSON.
      await before.db
        .updateTable("llm_providers")
        .set({ config: JSON.stringify({ headers: { "X-Auth-Token": legacyValue } }) })
        .where("id", "=", legacy)
        .execute();
    } finally {
      await before.close();
    }

    const env = { SWITCHYARD_MASTER_KEY: newKey, SWITCHYARD_PREVIOUS_MASTER_KEYS: oldKey };
    const run = await runCli(["keys", "rotate", "--database-url", testDb.url, "--batch-size", "2"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`rotated ${secrets.length} of ${secrets.length} keys`);
    expect(run.stderr).toMatch(/\[#+\] 3\/3/);
    expect(run.stdout + run.stderr).not.toContain(newKey);
    expect(run.stdout + run.stderr).not.toContain("sk-rotate");
    expect(run.stdout).toContain("encrypted the plain custom header values of 1 connection(s)");
    expect(run.stdout).toContain("rotated 1 of 1 custom header value sets");
    expect(run.stdout + run.stderr).not.toContain("tok-rotate");

    const after = await open(newKey);
    try {
      for (const [i, id] of ids.entries()) {
        const record = await after.connectionsRepo.findById(id);
        expect(record?.apiKeyEncrypted?.startsWith(`v1:${after.keyring.currentKid}:`)).toBe(true);
        expect(await after.connectionKey(record!)).toBe(secrets[i]);
      }
      for (const [id, value] of [
        [withHeader, headerValue],
        [legacy, legacyValue],
      ] as const) {
        const record = await after.connectionsRepo.findById(id);
        expect(record?.secretHeadersEncrypted?.startsWith(`v1:${after.keyring.currentKid}:`)).toBe(true);
        expect(JSON.stringify(record)).not.toContain(value);
        expect(after.connectionHeaders(record!)?.["X-Auth-Token"]).toBe(value);
      }
    } finally {
      await after.close();
    }

    const again = await runCli(["keys", "rotate", "--database-url", testDb.url], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("rotated 0 of 0 keys");
    expect(again.stdout).toContain("rotated 0 of 0 custom header value sets");
    expect(again.stdout).not.toContain("encrypted the plain");
  });

  it("seed creates the system Ollama default once; a second run changes nothing", async () => {
    const env = { SWITCHYARD_MASTER_KEY: newKey };
    const first = await runCli(["seed", "--database-url", testDb.url], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("created the system default connection ollama (ollama, llama3)");
    const second = await runCli(["seed", "--database-url", testDb.url], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("nothing changed");

    const sy = await open(newKey);
    try {
      const system = await sy.db
        .selectFrom("llm_providers")
        .selectAll()
        .where("scope", "=", "system")
        .execute();
      expect(system).toHaveLength(1);
      expect(system[0]).toMatchObject({
        name: "ollama",
        provider_type: "ollama",
        base_url: "http://localhost:11434",
        model: "llama3",
      });
    } finally {
      await sy.close();
    }
  });
});
