import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createSwitchyard } from "../../src/app.js";
import { runCli } from "../support/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-admin-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("switchyard admin create makes a working admin on a fresh database, once", async () => {
  const env = { SWITCHYARD_DATA_DIR: dir };
  const password = "a long admin password";
  const created = await runCli(
    ["admin", "create", "--email", "Ops@Example.test", "--password", password],
    env,
  );
  expect(created.code, created.stderr).toBe(0);
  expect(created.stdout).toMatch(/^created admin ops@example\.test \(/);
  expect(created.stdout + created.stderr).not.toContain(password);
  // The embedded default generated its master key next to the database, readable by its owner only.
  expect(fs.statSync(path.join(dir, "master.key")).mode & 0o777).toBe(0o600);

  const again = await runCli(["admin", "create", "--email", "ops@example.test", "--password", password], env);
  expect(again.code).toBe(3);
  expect(again.stderr).toContain("already exists");

  const invalid = await runCli(["admin", "create", "--email", "not-an-email", "--password", "short"], env);
  expect(invalid.code).toBe(2);

  const sy = await createSwitchyard({ dataDir: dir, logLevel: "silent" });
  try {
    const tokens = await sy.services.auth.login(
      { email: "ops@example.test", password },
      { ip: null, userAgent: null, requestId: null },
    );
    expect(tokens.user.roles).toEqual(["admin", "user"]);
  } finally {
    await sy.close();
  }
});
