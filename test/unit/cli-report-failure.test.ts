import Sqlite from "better-sqlite3";
import { DatabaseError } from "pg";
import { describe, expect, it } from "vitest";
import { reportFailure } from "../../src/cli/report-failure.js";
import { ConfigError } from "../../src/config.js";
import { DatabaseUnreachableError } from "../../src/db/connect-database.js";
import { namingLostDatabase } from "../../src/db/database-lost.js";

// Driver errors made as the drivers make them (the file and line they come from is named with
// each); database-lost.test.ts gets the same ones from real servers whose connection is cut.
const pgTerminated = () => new Error("Connection terminated unexpectedly"); // pg/lib/client.js
const pgNotQueryable = () => new Error("Client has encountered a connection error and is not queryable");
const pgPoolTimeout = () => new Error("timeout exceeded when trying to connect"); // pg-pool/index.js
/** pg-protocol's parser: a DatabaseError named "error" with the ErrorResponse's fields on it. */
function pgServerError(message: string, code: string): Error {
  return Object.assign(new DatabaseError(message, 110, "error"), { severity: "FATAL", code });
}
/** mysql2/lib/base/connection.js, on the socket's close without an error packet before it. */
function mysqlConnectionLost(): Error {
  const error = new Error("Connection lost: The server closed the connection.");
  return Object.assign(error, { fatal: true, code: "PROTOCOL_CONNECTION_LOST" });
}
/** mysql2, a command queued on a connection a fatal error has closed: no code at all. */
function mysqlClosedState(): Error {
  return Object.assign(new Error("Can't add new command when connection is in closed state"), {
    fatal: true,
  });
}

describe("reportFailure", () => {
  it("keeps the stack of a programming error", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const report = reportFailure(bug);
    expect(report.exitCode).toBe(1);
    expect(report.text).toContain(bug.stack);
    expect(report.text).toMatch(/\n\s+at /);
  });

  it("says a bad setting in one line, exit code 2", () => {
    expect(reportFailure(new ConfigError("SWITCHYARD_PORT", "a whole number"))).toEqual({
      text: "switchyard: invalid configuration: SWITCHYARD_PORT: expected a whole number\n",
      exitCode: 2,
    });
  });

  it("says a database that will not open in one line, even when the driver's error was a TypeError", () => {
    const cause = new TypeError("SSL profile must be an object, instead it's a boolean");
    const report = reportFailure(new DatabaseUnreachableError("mysql://root:pw@db:3306/sy?ssl=true", cause));
    expect(report).toEqual({
      text: "switchyard: cannot open the database mysql://root:***@db:3306/sy?ssl=true: SSL profile must be an object, instead it's a boolean\n",
      exitCode: 1,
    });
  });
});

describe("reportFailure, for a database lost after the first contact", () => {
  const url = "postgres://sy:s3cr3t%2Fx@db.internal:5432/switchyard";

  it.each([
    ["pg, the server gone mid-command", pgTerminated, "Connection terminated unexpectedly"],
    [
      "pg, a query on a client whose connection failed",
      pgNotQueryable,
      "Client has encountered a connection error and is not queryable",
    ],
    ["pg-pool, no new connection in time", pgPoolTimeout, "timeout exceeded when trying to connect"],
    [
      "PostgreSQL shut down by an administrator",
      () => pgServerError("terminating connection due to administrator command", "57P01"),
      "terminating connection due to administrator command (57P01)",
    ],
    [
      "mysql2, the server closed the connection",
      mysqlConnectionLost,
      "Connection lost: The server closed the connection. (PROTOCOL_CONNECTION_LOST)",
    ],
    [
      "mysql2, a command on a closed connection",
      mysqlClosedState,
      "Can't add new command when connection is in closed state",
    ],
  ])("%s: one line naming the database, its password hidden", (_case, make, reason) => {
    const report = reportFailure(namingLostDatabase(make(), url));
    expect(report).toEqual({
      text: `switchyard: lost the database postgres://sy:***@db.internal:5432/switchyard: ${reason}\n`,
      exitCode: 1,
    });
  });

  it("one line even where the command did not say which database it was", () => {
    expect(reportFailure(pgTerminated())).toEqual({
      text: "switchyard: lost the database: Connection terminated unexpectedly\n",
      exitCode: 1,
    });
    expect(reportFailure(mysqlClosedState()).text).toBe(
      "switchyard: lost the database: Can't add new command when connection is in closed state\n",
    );
  });

  it("names an SQLite file whose disk failed or that was moved away, not one asked the wrong thing", () => {
    const sqliteUrl = "sqlite:/var/lib/switchyard/switchyard.db";
    for (const [message, code] of [
      ["disk I/O error", "SQLITE_IOERR_WRITE"],
      ["database or disk is full", "SQLITE_FULL"],
      ["attempt to write a readonly database", "SQLITE_READONLY_DBMOVED"],
      ["database disk image is malformed", "SQLITE_CORRUPT"],
    ] as const) {
      expect(reportFailure(namingLostDatabase(new Sqlite.SqliteError(message, code), sqliteUrl)).text).toBe(
        `switchyard: lost the database ${sqliteUrl}: ${message} (${code})\n`,
      );
    }
    // A constraint or a missing table is about the statement: told as the driver's coded error.
    const constraint = new Sqlite.SqliteError(
      "UNIQUE constraint failed: users.email",
      "SQLITE_CONSTRAINT_UNIQUE",
    );
    expect(namingLostDatabase(constraint, sqliteUrl)).toBe(constraint);
  });

  it("keeps the stack of a programming error, whatever the database did", () => {
    const url2 = "mysql://root:pw@db:3306/sy";
    for (const bug of [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      new Error("Client was closed and is not queryable"), // pg, a query after our own close
      new Error("Connection terminated"), // pg, our own end() with a query still running
      Object.assign(new Error("Duplicate entry 'a' for key 'email'"), { fatal: false }),
    ]) {
      const passed = namingLostDatabase(bug, url2);
      expect(passed).toBe(bug);
      const report = reportFailure(passed);
      expect(report.text).toContain(bug.stack);
      expect(report.text).toMatch(/\n\s+at /);
    }
    // A coded PostgreSQL error that is about the query stays the driver's error too.
    const syntax = pgServerError('syntax error at or near "selec"', "42601");
    expect(namingLostDatabase(syntax, url2)).toBe(syntax);
  });
});

describe("DatabaseUnreachableError", () => {
  it("keeps the driver's code, and never the URL's password even when the driver quotes it", () => {
    const cause = Object.assign(new Error("bad password s3cr3t/x and s3cr3t%2Fx"), { code: "28P01" });
    const error = new DatabaseUnreachableError("postgres://u:s3cr3t%2Fx@db:5432/sy", cause);
    expect(error.message).toBe(
      "cannot open the database postgres://u:***@db:5432/sy: bad password *** and *** (28P01)",
    );
    expect(error.cause).toBe(cause);
  });
});
