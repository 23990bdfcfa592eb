import { describe, expect, it } from "vitest";
import { reportFailure } from "../../src/cli/report-failure.js";
import { ConfigError } from "../../src/config.js";
import { DatabaseUnreachableError } from "../../src/db/connect-database.js";

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
