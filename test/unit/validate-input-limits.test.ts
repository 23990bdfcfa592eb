import { Type } from "typebox";
import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { decodeAuditCursor } from "../../src/domain/audit/audit.cursor.js";
import { AppError } from "../../src/domain/errors.js";
import { fieldTooDeep, MAX_NESTING, parseInput } from "../../src/domain/validate.js";

const Query = Type.Object({ from: Type.String({ format: "date-time" }) });

describe("the date-time format", () => {
  it("takes the RFC 3339 forms Date can read", () => {
    for (const from of ["2024-01-01T00:00:00Z", "2024-06-30T23:59:59.999+02:00", "2024-02-29T12:00:00z"]) {
      expect(parseInput(Query, { from })).toEqual({ from });
    }
  });

  it("refuses a leap second, which Date cannot read, as a validation failure rather than a 500 later", () => {
    for (const from of ["2024-01-01T23:59:60Z", "2030-06-30T23:59:60+00:00"]) {
      expect(() => parseInput(Query, { from })).toThrow(AppError);
      // The same registry serves TypeBox's Value checks (the audit log's query is checked that way).
      expect(Value.Check(Query, { from })).toBe(false);
    }
  });

  it("takes years 1 to 9999 in UTC, which every dialect stores and compares alike, and refuses the rest", () => {
    for (const from of ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "9999-12-31T09:59:59-14:00"]) {
      expect(parseInput(Query, { from })).toEqual({ from });
    }
    // Year 10000 in UTC (MariaDB cannot store it; SQLite compares it as text), and year 0.
    for (const from of ["9999-12-31T23:59:59-14:00", "0000-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00"]) {
      expect(() => parseInput(Query, { from }), from).toThrow(AppError);
      expect(Value.Check(Query, { from })).toBe(false);
    }
  });
});

describe("the audit cursor", () => {
  it("is no cursor when its date is outside the years every dialect compares alike", () => {
    const cursor = (createdAt: string) =>
      Buffer.from(JSON.stringify({ created_at: createdAt, id: "a" }), "utf8").toString("base64url");
    expect(decodeAuditCursor(cursor("2026-01-01T00:00:00.000Z"))).toEqual({
      createdAt: new Date("2026-01-01T00:00:00.000Z"),
      id: "a",
    });
    expect(decodeAuditCursor(cursor("+010000-01-01T00:00:00.000Z"))).toBeUndefined();
  });
});

describe("nesting", () => {
  const Anything = Type.Object({ value: Type.Unknown() });
  const nested = (levels: number) => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = i % 2 ? { a: value } : [value];
    return value;
  };

  it("takes input nested within the limit", () => {
    expect(fieldTooDeep(nested(MAX_NESTING - 1))).toBeUndefined();
    expect(parseInput(Anything, { value: nested(MAX_NESTING - 2) })).toBeDefined();
  });

  it("refuses input nested past the limit, naming where, without running out of stack", () => {
    expect(fieldTooDeep(nested(MAX_NESTING + 1))).toBe("/0/a".repeat(MAX_NESTING / 2));
    expect(() => parseInput(Anything, { value: nested(100_000) })).toThrow(/levels deep/);
  });
});
