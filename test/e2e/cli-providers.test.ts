import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { composeSwitchyard } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { systemActor } from "../../src/domain/actor.js";
import { createLogger } from "../../src/logger.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";

describeEachDialect("switchyard providers test", (dialect) => {
  let testDb: TestDatabase;
  let fake: FakeUpstream;
  const masterKey = randomBytes(32).toString("base64");
  const apiKey = "sk-cli-provider-test-key-123456";

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    fake = await startFakeOpenAI({ apiKey, models: ["m1", "m2"] });
    const sy = await composeSwitchyard(loadConfig({}, { databaseUrl: testDb.url, masterKey }), {
      logger: createLogger({ level: "silent" }),
    });
    try {
      // A system connection: an admin's own choice of target, so a loopback upstream is allowed.
      await sy.services.connections.create(systemActor("test"), {
        name: "fake",
        provider_type: "openai-compatible",
        scope: "system",
        base_url: `${fake.url}/v1`,
        api_key: apiKey,
      });
    } finally {
      await sy.close();
    }
  });
  afterAll(async () => {
    await fake?.close();
    await testDb?.drop();
  });

  const run = (...args: string[]) =>
    runCli(["providers", "test", ...args, "--database-url", testDb.url], {
      SWITCHYARD_MASTER_KEY: masterKey,
    });

  it("tests the system default: ok and exit 0; failed and exit 1, never printing the key", async () => {
    const ok = await run();
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok\s+system\/fake \(openai-compatible\) \d+ ms {2}2 models$/m);
    expect(ok.stdout).toContain("1 ok, 0 failed");

    fake.setMode("unauthorized");
    try {
      const failed = await run("--all");
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/^failed system\/fake/m);
      expect(failed.stdout + failed.stderr).not.toContain(apiKey);
    } finally {
      fake.setMode("ok");
    }
  });
});
