import type { ChatRequest } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";

export interface GoogleFunctionDeclaration {
  name: string;
  description?: string;
  /** JSON Schema as OpenAI tools carry it (`parameters` would want Gemini's OpenAPI subset). */
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GoogleToolConfig {
  functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] };
}

/**
 * OpenAI tools and tool_choice -> Gemini's functionDeclarations and toolConfig: "auto" is AUTO,
 * "none" NONE, "required" ANY, a named function ANY limited to that name.
 */
export function prepareGoogleTools(
  request: ChatRequest,
  warnings: ChatWarnings,
): { tools?: [{ functionDeclarations: GoogleFunctionDeclaration[] }]; toolConfig?: GoogleToolConfig } {
  if (request.tools === undefined || request.tools.length === 0) {
    if (request.tool_choice !== undefined) {
      warnings.add("tool_choice", "tool_choice without tools means nothing to Gemini; it was not sent");
    }
    return {};
  }
  const functionDeclarations = request.tools.map((tool): GoogleFunctionDeclaration => {
    if (tool.function.strict === true) {
      warnings.add(
        "tools[].function.strict",
        "Gemini does not support strict tool schemas; the schema is sent as a hint",
      );
    }
    return {
      name: tool.function.name,
      ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
      ...(tool.function.parameters !== undefined ? { parametersJsonSchema: tool.function.parameters } : {}),
    };
  });

  const choice = request.tool_choice;
  let toolConfig: GoogleToolConfig | undefined;
  if (choice === "auto") toolConfig = { functionCallingConfig: { mode: "AUTO" } };
  else if (choice === "none") toolConfig = { functionCallingConfig: { mode: "NONE" } };
  else if (choice === "required") toolConfig = { functionCallingConfig: { mode: "ANY" } };
  else if (choice !== undefined) {
    toolConfig = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } };
  }
  return { tools: [{ functionDeclarations }], ...(toolConfig !== undefined ? { toolConfig } : {}) };
}
