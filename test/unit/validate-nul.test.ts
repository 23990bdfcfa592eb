import { describe, expect, it } from "vitest";
import { Type } from "typebox";
import { isAppError } from "../../src/domain/errors.js";
import { fieldWithNul, parseInput } from "../../src/domain/validate.js";

describe("text holding U+0000 (PostgreSQL cannot store it)", () => {
  it("fieldWithNul points at the first string, key or array item holding it", () => {
    expect(fieldWithNul({ a: "ok", b: { c: ["x", "y\u0000"] } })).toBe("/b/c/1");
    expect(fieldWithNul({ ["k\u0000"]: 1 })).toBe("/k\u0000");
    expect(fieldWithNul("\u0000")).toBe("/");
    expect(fieldWithNul({ a: "no nul", n: 0, z: null, l: [true] })).toBeUndefined();
  });

  it("parseInput refuses it as validation_failed naming the field, unless the text is any text", () => {
    const schema = Type.Object({ name: Type.String() });
    let thrown: unknown;
    try {
      parseInput(schema, { name: "a\u0000b" });
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown) && thrown.code).toBe("validation_failed");
    expect(isAppError(thrown) && thrown.issues).toEqual([
      { field: "/name", message: expect.stringContaining("NUL") as string },
    ]);
    expect(parseInput(schema, { name: "a\u0000b" }, { anyText: true })).toEqual({ name: "a\u0000b" });
  });
});
