import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "../support/cli.js";

/**
 * Failures a user causes from outside (the database URL, the server it names) are one line that
 * names the database, exit code 1, no stack: the driver errors behind them often carry no code.
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
