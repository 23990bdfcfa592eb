import { Type } from "typebox";
import { describe, expect, it } from "vitest";
import type { FieldIssue } from "../../src/domain/errors.js";
import { parseInput } from "../../src/domain/validate.js";
import { ChatCompletionRequest } from "../../src/gateway/openai-request.schemas.js";

// A value that fits no branch of a union is reported against the branch the caller meant: the one
// its constant (a message's role, a part's type) or its type picks, not the first branch tried.

function issuesOf(schema: Parameters<typeof parseInput>[0], input: unknown): FieldIssue[] {
  try {
    parseInput(schema, input);
  } catch (error) {
    return (error as { issues: FieldIssue[] }).issues;
  }
  throw new Error("the input was accepted");
}

const chat = (message: unknown, extra: Record<string, unknown> = {}) =>
  issuesOf(ChatCompletionRequest, { model: "m", messages: [message], ...extra });

describe("union errors in a chat request", () => {
  it.each([
    [{ role: "user", content: null }, "/messages/0/content", "must be string or array"],
    [{ role: "user", content: 5 }, "/messages/0/content", "must be string or array"],
    [{ role: "assistant", content: 5 }, "/messages/0/content", "must be string, array or null"],
    [
      { role: "tool", content: "x" },
      "/messages/0/tool_call_id",
      "must have required properties tool_call_id",
    ],
    [{ role: "user", content: "x", name: 5 }, "/messages/0/name", "must be string"],
    [
      { role: "user", content: [{ type: "text" }] },
      "/messages/0/content/0/text",
      "must have required properties text",
    ],
    [
      { role: "user", content: [{ type: "video" }] },
      "/messages/0/content/0/type",
      'must be one of: "text", "image_url"',
    ],
    [
      { role: "bogus", content: "x" },
      "/messages/0/role",
      'must be one of: "system", "developer", "user", "assistant", "tool"',
    ],
  ])("%j -> %s %s, and nothing about other roles", (message, field, text) => {
    const issues = chat(message);
    expect(issues[0]).toEqual({ field, message: text });
    // No complaint from a branch the message was not meant for.
    expect(issues.filter((i) => i.field.endsWith("/role") && field !== "/messages/0/role")).toEqual([]);
    expect(issues.some((i) => i.message === "must match a schema in anyOf")).toBe(false);
  });

  it("a union of types, constants or both says what would do, in the schema's order", () => {
    const ok = { role: "user", content: "x" };
    expect(chat(ok, { stop: 5 })).toEqual([{ field: "/stop", message: "must be string, array or null" }]);
    expect(chat(ok, { tool_choice: "sometimes" })).toEqual([
      { field: "/tool_choice", message: 'must be "none", "auto", "required", object or null' },
    ]);
    expect(
      chat({ role: "user", content: [{ type: "image_url", image_url: { url: "data:,", detail: "max" } }] }),
    ).toEqual([
      { field: "/messages/0/content/0/image_url/detail", message: 'must be one of: "auto", "low", "high"' },
    ]);
  });
});

describe("union errors where every branch is ruled out, some by a property's constant", () => {
  it("keeps the errors of the branch of the value's kind (an object whose type is wrong), naming the constant", () => {
    expect(chat({ role: "user", content: "x" }, { tool_choice: { type: "text" } })).toEqual([
      { field: "/tool_choice/function", message: "must have required properties function" },
      { field: "/tool_choice/type", message: 'must be "function"' },
    ]);
  });

  it("keeps each array element's union apart: one bad message does not rule out another's branches", () => {
    const issues = issuesOf(ChatCompletionRequest, {
      model: "m",
      messages: [1.5, { role: "assistant", content: null, tool_calls: ["x"] }],
    });
    expect(issues).toEqual([
      { field: "/messages/0", message: "must be object" },
      { field: "/messages/1/tool_calls/0", message: "must be object" },
    ]);
  });
});

describe("union errors in any schema", () => {
  const Shape = Type.Union([
    Type.Object({ kind: Type.Literal("circle"), radius: Type.Number() }),
    Type.Object({ kind: Type.Literal("square"), side: Type.Number() }),
  ]);

  it("keeps the errors of the branch the constant picks", () => {
    expect(issuesOf(Shape, { kind: "square", side: "2" })).toEqual([
      { field: "/side", message: "must be number" },
    ]);
  });

  it("a union whose branches share no reason keeps every error (nothing is guessed)", () => {
    const Loose = Type.Union([Type.Object({ a: Type.String() }), Type.Object({ b: Type.Number() })]);
    const issues = issuesOf(Loose, { a: 1, b: "x" });
    expect(issues.map((i) => i.field)).toEqual(expect.arrayContaining(["/a", "/b"]));
  });
});
