import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../support/cli.js";

/** Reads JSON log lines until one matches, or fails after the timeout. */
function waitForLog(
  child: ReturnType<typeof spawnCli>,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs = 20_000,
) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error(`no matching log line; got:\n${buffer}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const raw of buffer.split("\n")) {
        try {
          const line = JSON.parse(raw) as Record<string, unknown>;
          if (match(line)) {
            clearTimeout(timer);
            resolve(line);
          }
        } catch {
          // a partial line; the rest comes with the next chunk
        }
      }
    });
  });
}

describe("switchyard serve (the embedded default)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates its SQLite file under the data dir, migrates, answers /readyz and exits 0 on SIGTERM", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-serve-"));
    dirs.push(dataDir);
    const child = spawnCli(["serve"], {
      SWITCHYARD_DATA_DIR: path.join(dataDir, "nested"),
      SWITCHYARD_PORT: "0",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const listening = await waitForLog(child, (l) => l.msg === "switchyard listening");
      const url = String(listening.url);
      expect(fs.existsSync(path.join(dataDir, "nested", "switchyard.db"))).toBe(true);

      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: "ready" });
      expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("stops at start-up on a bad setting, naming the variable, with exit code 2", async () => {
    const res = await runCli(["serve"], { SWITCHYARD_PORT: "eighty" });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("SWITCHYARD_PORT");
  });

  it("with --no-migrate on a database that is not migrated, refuses to start (it would fail every request)", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-serve-"));
    dirs.push(dataDir);
    const res = await runCli(["serve", "--no-migrate", "--port", "0"], { SWITCHYARD_DATA_DIR: dataDir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/migration\(s\) pending \(0001_identity, .*switchyard migrate up/);
  });

  it("never prints a malformed master key back", async () => {
    const secret = "c2VjcmV0LWJ1dC10b28tc2hvcnQ=";
    const res = await runCli(["serve"], { SWITCHYARD_MASTER_KEY: secret });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("SWITCHYARD_MASTER_KEY");
    expect(res.stderr + res.stdout).not.toContain(secret);
  });
});
