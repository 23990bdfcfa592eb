import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createSwitchyard } from "../../src/app.js";
import { systemActor, userActor } from "../../src/domain/actor.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-file-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("a saved provider key is nowhere in the SQLite files in plaintext (database, WAL, key file aside)", async () => {
  const key = "sk-plaintext-canary-7f3a9c2e5b1d";
  const sy = await createSwitchyard({ dataDir: dir, logLevel: "silent" });
  try {
    const user = await sy.services.users.create(systemActor("test"), {
      email: "f@example.test",
      password: "long enough pw",
    });
    const connection = await sy.services.connections.create(userActor(user.id, ["user"]), {
      name: "canary",
      provider_type: "openai",
      api_key: key,
    });
    expect(JSON.stringify(connection)).not.toContain(key);
    // Read while open too: the WAL holds the newest pages before a checkpoint.
    for (const file of fs.readdirSync(dir)) {
      expect(fs.readFileSync(path.join(dir, file)).includes(Buffer.from(key)), file).toBe(false);
    }
  } finally {
    await sy.close();
  }
  const files = fs.readdirSync(dir);
  expect(files).toContain("switchyard.db");
  for (const file of files) {
    expect(fs.readFileSync(path.join(dir, file)).includes(Buffer.from(key)), file).toBe(false);
  }
});
