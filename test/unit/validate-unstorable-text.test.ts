import { describe, expect, it } from "vitest";
import { Type } from "typebox";
import { isAppError } from "../../src/domain/errors.js";
import { NUL_MESSAGE, parseInput, SURROGATE_MESSAGE, unstorableText } from "../../src/domain/validate.js";

describe("text no dialect stores as sent: U+0000 and lone surrogates", () => {
  it("unstorableText points at the first string, key or array item holding either, and says which", () => {
    expect(unstorableText({ a: "ok", b: { c: ["x", "y\u0000"] } })).toEqual({
      field: "/b/c/1",
      message: NUL_MESSAGE,
    });
    expect(unstorableText({ ["k\u0000"]: 1 })).toEqual({ field: "/k\u0000", message: NUL_MESSAGE });
    expect(unstorableText("\u0000")).toEqual({ field: "/", message: NUL_MESSAGE });
    for (const lone of ["x\ud800", "\udc00x", "a\udfffb", "\ud83d"]) {
      expect(unstorableText({ name: lone }), JSON.stringify(lone)).toEqual({
        field: "/name",
        message: SURROGATE_MESSAGE,
      });
    }
    expect(unstorableText({ ["k\ud800"]: 1 })?.message).toBe(SURROGATE_MESSAGE);
    // Well-formed pairs (emoji, astral characters) and U+FFFD itself are ordinary text.
    expect(unstorableText({ a: "no nul", e: "😀 𝄞 \ufffd", n: 0, z: null, l: [true] })).toBeUndefined();
  });

  it("parseInput refuses either as validation_failed naming the field, unless the text is any text", () => {
    const schema = Type.Object({ name: Type.String() });
    for (const [name, message] of [
      ["a\u0000b", NUL_MESSAGE],
      ["a\ud800b", SURROGATE_MESSAGE],
    ] as const) {
      let thrown: unknown;
      try {
        parseInput(schema, { name });
      } catch (error) {
        thrown = error;
      }
      expect(isAppError(thrown) && thrown.code).toBe("validation_failed");
      expect(isAppError(thrown) && thrown.issues).toEqual([{ field: "/name", message }]);
      expect(parseInput(schema, { name }, { anyText: true })).toEqual({ name });
    }
  });
});
