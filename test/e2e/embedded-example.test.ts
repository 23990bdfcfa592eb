import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

// Seed 002's desktop use, exactly as an app would: the built package imported by name, on SQLite,
// with no HTTP server. (npm test builds the package first.)
it("examples/embedded.ts compiles against the package and runs", async () => {
  await run(
    process.execPath,
    [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.examples.json"],
    {
      cwd: root,
    },
  );
  const { stdout } = await run(process.execPath, [path.join(root, "dist-examples/embedded.js")], {
    cwd: root,
    // No SWITCHYARD_* variable of the developer's reaches the example: the library reads none anyway.
    env: {},
  });
  expect(stdout).toContain("created my-openai: default=true, key hint 0000");
  expect(stdout).toContain("calls go to https://api.openai.com/v1 with model gpt-4o-mini");
  expect(stdout).not.toContain("sk-example-not-a-real-key");
}, 60_000);
