import type { ChatRequest } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice =
  | { type: "auto" | "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

/** A tool without parameters still needs an input_schema. */
const EMPTY_OBJECT_SCHEMA = { type: "object", properties: {} };

/**
 * OpenAI tools and tool_choice -> Anthropic's: `parameters` becomes `input_schema`; "required" is
 * `any`, a named function is `tool`, and `parallel_tool_calls: false` (an extra) is
 * `disable_parallel_tool_use`.
 */
export function prepareAnthropicTools(
  request: ChatRequest,
  warnings: ChatWarnings,
): { tools?: AnthropicTool[]; tool_choice?: AnthropicToolChoice } {
  const parallel = request.extra?.parallel_tool_calls;
  if (request.tools === undefined || request.tools.length === 0) {
    if (request.tool_choice !== undefined) {
      warnings.add("tool_choice", "tool_choice without tools means nothing to Anthropic; it was not sent");
    }
    if (parallel !== undefined && parallel !== null) {
      warnings.add(
        "parallel_tool_calls",
        "parallel_tool_calls without tools means nothing to Anthropic; it was not sent",
      );
    }
    return {};
  }

  const tools = request.tools.map((tool): AnthropicTool => {
    if (tool.function.strict === true) {
      warnings.add(
        "tools[].function.strict",
        "Anthropic does not support strict tool schemas; the schema is sent as a hint",
      );
    }
    return {
      name: tool.function.name,
      ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
      input_schema: tool.function.parameters ?? EMPTY_OBJECT_SCHEMA,
    };
  });

  const disableParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (parallel !== undefined && parallel !== null && typeof parallel !== "boolean") {
    warnings.add("parallel_tool_calls", "parallel_tool_calls is not a boolean; it was not sent");
  }
  const choice = request.tool_choice;
  let tool_choice: AnthropicToolChoice | undefined;
  if (choice === undefined) {
    tool_choice = parallel === false ? { type: "auto", ...disableParallel } : undefined;
  } else if (choice === "none") {
    tool_choice = { type: "none" };
  } else if (choice === "auto") {
    tool_choice = { type: "auto", ...disableParallel };
  } else if (choice === "required") {
    tool_choice = { type: "any", ...disableParallel };
  } else {
    tool_choice = { type: "tool", name: choice.function.name, ...disableParallel };
  }
  return { tools, ...(tool_choice !== undefined ? { tool_choice } : {}) };
}
