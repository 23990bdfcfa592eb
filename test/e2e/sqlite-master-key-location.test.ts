import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { spawnCli, runCli } from "../support/cli.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";

/**
 * One SQLite file named by an absolute URL, servers started from two different working
 * directories: both must use the one master key beside the database, or the second cannot read the
 * keys the first stored.
 */

const root = fs.mkdtempSync(path.join(os.tmpdir(), "sy-key-place-"));
const dbDir = path.join(root, "db");
const env = { SWITCHYARD_DATABASE_URL: `sqlite:${path.join(dbDir, "switchyard.db")}`, SWITCHYARD_PORT: "0" };
const apiKey = "sk-key-place-canary-5c81f0";
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey, models: ["m1"] });
  for (const dir of ["a", "b", "c"]) fs.mkdirSync(path.join(root, dir));
});
afterAll(async () => {
  await fake?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Starts `serve` in cwd, runs fn against its URL, then stops it with SIGTERM. */
async function withServer(cwd: string, fn: (url: string) => Promise<void>): Promise<void> {
  const child = spawnCli(["serve"], env, { cwd });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"([^"]+)"[^\n]*"msg":"switchyard listening"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on("exit", () => reject(new Error(`serve exited:\n${output}`)));
  });
  try {
    await fn(url);
  } finally {
    child.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
  expect(output).not.toContain(apiKey);
}

async function call(url: string, method: string, route: string, token?: string, body?: unknown) {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it("a server started from another directory reads the provider key the first one stored", async () => {
  const credentials = { email: "ops@example.test", password: "a long admin password" };
  let connectionId = "";
  await withServer(path.join(root, "a"), async (url) => {
    const registered = await call(url, "POST", "/api/auth/register", undefined, credentials);
    expect(registered.status).toBe(201);
    const created = await call(url, "POST", "/api/llm-providers", String(registered.body.access_token), {
      name: "fake",
      provider_type: "openai-compatible",
      scope: "system",
      base_url: `${fake.url}/v1`,
      api_key: apiKey,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    connectionId = String(created.body.id);
  });

  await withServer(path.join(root, "b"), async (url) => {
    const login = await call(url, "POST", "/api/auth/login", undefined, credentials);
    expect(login.status).toBe(200);
    const tested = await call(
      url,
      "POST",
      `/api/llm-providers/${connectionId}/test`,
      String(login.body.access_token),
    );
    expect(tested.status).toBe(200);
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ health_status: "ok", models: ["m1"] });
  });
  // One key, beside the database; neither start left a key of its own under its working directory.
  expect(fs.statSync(path.join(dbDir, "master.key")).mode & 0o777).toBe(0o600);
  expect(fs.existsSync(path.join(root, "a", "data"))).toBe(false);
  expect(fs.existsSync(path.join(root, "b", "data"))).toBe(false);
});

it("with the key file gone, refuses to generate a new one that could never read the stored keys", async () => {
  const keyFile = path.join(dbDir, "master.key");
  const saved = path.join(root, "master.key.saved");
  fs.renameSync(keyFile, saved);
  try {
    const res = await runCli(["providers", "test"], env, { cwd: path.join(root, "c") });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("SWITCHYARD_MASTER_KEY");
    expect(res.stderr).toContain(keyFile);
    expect(res.stderr).toContain("could never read them");
    expect(fs.existsSync(keyFile)).toBe(false);
    expect(fs.existsSync(path.join(root, "c", "data"))).toBe(false);
  } finally {
    fs.renameSync(saved, keyFile);
  }
});
