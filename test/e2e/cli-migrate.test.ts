import type { RowDataPacket } from "mysql2";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withMysqlAdmin } from "../support/admin-connections.js";
import { runCli, spawnCli } from "../support/cli.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import { MIGRATION_NAMES } from "../support/migration-names.js";

const ALL = MIGRATION_NAMES;
const LAST = ALL[ALL.length - 1];

describeEachDialect("switchyard migrate", (dialect) => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  const migrate = (...args: string[]) => runCli(["migrate", ...args, "--database-url", testDb.url]);

  it("a SIGINT or SIGTERM while migrating stops between steps: a later run always finishes the job", async () => {
    for (const [signal, afterMs] of [
      ["SIGINT", 500],
      ["SIGTERM", 800],
      ["SIGINT", 1100],
    ] as const) {
      await migrate("down", "--all");
      const child = spawnCli(["migrate", "up", "--database-url", testDb.url]);
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      setTimeout(() => child.kill(signal), afterMs);
      const code = await exited;
      // Killed while still loading (null: the handler comes just before the first step), done before
      // the signal came (0), or stopped between two steps (130 / 143, or 1 from the stop's error):
      // never killed in the middle of one.
      expect([null, 0, 1, 130, 143], stderr).toContain(code);
      const again = await migrate("up");
      expect(again.code, `${signal} after ${afterMs} ms: ${again.stderr}`).toBe(0);
      const status = await migrate("status");
      expect(status.stdout).toContain("up to date");
    }
    // The next cases start from a database with nothing applied.
    expect((await migrate("down", "--all")).code).toBe(0);
    // Eleven CLI runs, each starting node: 17-28 s on a loaded 2-CPU machine, past the default.
  }, 90_000);

  // MySQL commits DDL as it goes, so a run killed there leaves the step it was in half applied.
  // (PostgreSQL rolls the step back; SQLite's steps pass too quickly to be caught in the middle.)
  it.runIf(dialect === "mysql")(
    "a run killed outright (SIGKILL) in the middle of a step is finished by the next migrate up",
    async () => {
      const child = spawnCli(["migrate", "up", "--database-url", testDb.url]);
      let running = true;
      const exited = new Promise<void>((resolve) =>
        child.once("exit", () => {
          running = false;
          resolve();
        }),
      );
      // 0003's first table: the step has sixteen statements still to run when it appears.
      await withMysqlAdmin(async (conn) => {
        while (running) {
          const [rows] = await conn.query<RowDataPacket[]>(
            "select 1 from information_schema.tables where table_schema = ? and table_name = 'settings'",
            [testDb.name],
          );
          if (rows.length > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      });
      child.kill("SIGKILL");
      await exited;
      expect((await migrate("status")).stdout).toMatch(/pending\s+0003_operations/);

      const again = await migrate("up");
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain("applied 0003_operations");
      expect((await migrate("status")).stdout).toContain("up to date");
      // The next cases start from a database with nothing applied.
      expect((await migrate("down", "--all")).code).toBe(0);
    },
    120_000,
  );

  it("status lists every migration pending on a database someone else created", async () => {
    const res = await migrate("status");
    expect(res.code).toBe(0);
    for (const name of ALL) expect(res.stdout).toMatch(new RegExp(`pending\\s+${name}`));
    expect(res.stdout).toContain(`${ALL.length} pending`);
  });

  it("up applies all, down reverts one, down --all reverts the rest, up applies all again", async () => {
    const up = await migrate("up");
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.trim().split("\n")).toEqual(ALL.map((n) => `applied ${n}`));

    const again = await migrate("up");
    expect(again.stdout).toContain("already at the latest migration");

    const status = await migrate("status");
    expect(status.stdout).toContain("up to date");
    for (const name of ALL)
      expect(status.stdout).toMatch(new RegExp(`applied\\s+${name}\\s+\\d{4}-\\d\\d-\\d\\dT`));

    const down = await migrate("down");
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout.trim()).toBe(`reverted ${LAST}`);
    expect((await migrate("status")).stdout).toMatch(new RegExp(`pending\\s+${LAST}`));

    const downAll = await migrate("down", "--all");
    expect(downAll.code, downAll.stderr).toBe(0);
    expect(downAll.stdout.trim().split("\n")).toEqual(
      ALL.slice(0, -1)
        .reverse()
        .map((n) => `reverted ${n}`),
    );
    expect((await migrate("down", "--all")).stdout).toContain("nothing to revert");

    const reUp = await migrate("up");
    expect(reUp.code, reUp.stderr).toBe(0);
    expect(reUp.stdout.trim().split("\n")).toEqual(ALL.map((n) => `applied ${n}`));
  });
});

it("refuses a database URL it cannot use, naming the setting, with exit code 2", async () => {
  const res = await runCli(["migrate", "status", "--database-url", "oracle://db/x"]);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain("SWITCHYARD_DATABASE_URL");
});

it("says in one line, without a stack, that the database cannot be reached (exit code 1)", async () => {
  const res = await runCli([
    "migrate",
    "status",
    "--database-url",
    "postgres://postgres@127.0.0.1:1/nothing",
  ]);
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/^switchyard: .*ECONNREFUSED/);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(res.stderr.trim().split("\n")).toHaveLength(1);
});
