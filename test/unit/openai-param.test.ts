import { describe, expect, it } from "vitest";
import { openAIParam } from "../../src/http/plugins/problem-errors.js";

describe("openAIParam", () => {
  it.each([
    ["/model", "model"],
    ["/messages/0/content", "messages[0].content"],
    ["/messages/2/tool_calls/0/function/name", "messages[2].tool_calls[0].function.name"],
    ["/tools/1", "tools[1]"],
    ["/a~1b/c~0d", "a/b.c~d"],
  ])("%s -> %s, as OpenAI names a field", (pointer, param) => {
    expect(openAIParam(pointer)).toBe(param);
  });

  it("is null for the body as a whole or no field", () => {
    expect(openAIParam("/")).toBeNull();
    expect(openAIParam("")).toBeNull();
    expect(openAIParam(undefined)).toBeNull();
  });
});
