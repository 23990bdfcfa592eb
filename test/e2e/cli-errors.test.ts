import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "../support/cli.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

/**
 * Failures a user causes from outside (the database URL, the server it names) are one line that
 * names the database, exit code 1, no stack: the driver errors behind them often carry no code.
 * That holds for a database that goes away after the first contact too.
 */

const PASSWORD = "hunter2-canary-9d4e";

/** A TCP server that is not PostgreSQL: it refuses TLS as a plain server would ('N'), then hangs up. */
let notPostgres: net.Server;
let port = 0;
beforeAll(async () => {
  notPostgres = net.createServer((socket) => {
    socket.once("data", (chunk) => {
      // SSLRequest: length 8, then the code 80877103.
      if (chunk.length === 8 && chunk.readUInt32BE(4) === 80_877_103) socket.write("N");
      else socket.destroy();
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => notPostgres.listen(0, "127.0.0.1", resolve));
  port = (notPostgres.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => notPostgres?.close(resolve));
});

function expectOneLine(res: CliResult, reason: RegExp) {
  expect(res.code, res.stderr).toBe(1);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(res.stderr.trim().split("\n")).toHaveLength(1);
  expect(res.stderr).toMatch(/^switchyard: cannot open the database /);
  expect(res.stderr).toMatch(reason);
  expect(res.stderr + res.stdout).not.toContain(PASSWORD);
}

describe("a database that will not open, in one line", () => {
  it("a server that is not PostgreSQL (the driver's error has no code)", async () => {
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/sy`;
    const res = await runCli(["migrate", "status", "--database-url", url]);
    expectOneLine(res, /Connection terminated unexpectedly/);
    expect(res.stderr).toContain(`postgres://postgres:***@127.0.0.1:${port}/sy`);
  });

  it("TLS asked of a server without it, at serve's start", async () => {
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/sy?sslmode=no-verify`;
    const res = await runCli(["serve", "--port", "0", "--database-url", url], {
      SWITCHYARD_MASTER_KEY: Buffer.alloc(32, 1).toString("base64"),
    });
    expectOneLine(res, /does not support SSL/);
  });

  it("a driver option in the URL that the driver refuses (a TypeError from the driver, not a bug)", async () => {
    const res = await runCli(
      ["keys", "rotate", "--database-url", `mysql://root:${PASSWORD}@127.0.0.1:1/sy?ssl=true`],
      {
        SWITCHYARD_MASTER_KEY: Buffer.alloc(32, 1).toString("base64"),
      },
    );
    expectOneLine(res, /SSL profile must be an object/);
  });
});

// The database is opened, then its connection dies in the middle of a later query: the proxy cuts
// it when the query on Kysely's migration table goes by. SQLite is in-process and cannot go away.
describeEachDialect("a database lost after the first contact, in one line", (dialect) => {
  if (dialect === "sqlite") {
    it.skip("does not apply: SQLite is in-process", () => {});
    return;
  }
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let url: string;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    const migrated = await runCli(["migrate", "up", "--database-url", testDb.url]);
    expect(migrated.code, migrated.stderr).toBe(0);
    const real = new URL(testDb.url);
    proxy = await startTcpProxy(real.hostname, Number(real.port), { cutWhenClientSends: "kysely_migration" });
    const viaProxy = new URL(testDb.url);
    viaProxy.port = String(proxy.port);
    // PostgreSQL's test server trusts local users: the password is only carried, to be hidden.
    if (dialect === "postgres") viaProxy.password = PASSWORD;
    url = viaProxy.toString();
  });

  afterAll(async () => {
    await proxy?.close();
    await testDb?.drop();
  });

  it("migrate status with the connection cut mid-query", async () => {
    const res = await runCli(["migrate", "status", "--database-url", url]);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    const redacted = dialect === "postgres" ? url.replace(PASSWORD, "***") : url;
    expect(res.stderr).toBe(
      `switchyard: lost the database ${redacted}: ${
        dialect === "postgres"
          ? "Connection terminated unexpectedly"
          : "Connection lost: The server closed the connection. (PROTOCOL_CONNECTION_LOST)"
      }\n`,
    );
    expect(res.stderr + res.stdout).not.toContain(PASSWORD);
  });
});
