import type { ChatRequest, ChatWarning } from "../chat-spec.js";
import { ChatWarnings } from "../chat-warnings.js";
import { maxTokensOf, stopSequencesOf, warnUnhandledExtras } from "../read-chat-request.js";
import { convertToOllamaMessages, type OllamaMessage } from "./convert-to-ollama-messages.js";
import { mapOllamaReasoningEffort } from "./map-ollama-reasoning-effort.js";

export interface OllamaTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
  num_predict?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

/** The body of `POST /api/chat`. `stream` is always set: Ollama streams when it is absent. */
export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: OllamaTool[];
  /** "json", or a JSON schema for structured outputs. */
  format?: "json" | Record<string, unknown>;
  options?: OllamaOptions;
  /** Whether a thinking model thinks (its reasoning then comes in `message.thinking`). */
  think?: boolean;
}

/**
 * An OpenAI chat request -> an Ollama `/api/chat` body. Sampling settings go to `options`,
 * reasoning_effort (an extra) to `think`; tool_choice has no counterpart beyond "auto" and "none"
 * (tools left out), so "required" and a named function are reported.
 */
export function convertToOllamaRequest(
  request: ChatRequest,
  options: { stream: boolean },
): { body: OllamaChatRequest; warnings: ChatWarning[] } {
  const warnings = new ChatWarnings();
  const messages = convertToOllamaMessages(request.messages, warnings);

  let tools: OllamaTool[] | undefined;
  const choice = request.tool_choice;
  if (request.tools !== undefined && request.tools.length > 0 && choice !== "none") {
    tools = request.tools.map((tool) => {
      if (tool.function.strict === true) {
        warnings.add(
          "tools[].function.strict",
          "Ollama does not support strict tool schemas; the schema is sent as a hint",
        );
      }
      return {
        type: "function",
        function: {
          name: tool.function.name,
          ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
          ...(tool.function.parameters !== undefined ? { parameters: tool.function.parameters } : {}),
        },
      };
    });
    if (choice === "required" || typeof choice === "object") {
      warnings.add(
        "tool_choice",
        "Ollama cannot force a tool call; the tools were sent and the model may answer in text",
      );
    }
  } else if (
    choice !== undefined &&
    choice !== "none" &&
    (request.tools === undefined || request.tools.length === 0)
  ) {
    warnings.add("tool_choice", "tool_choice without tools means nothing to Ollama; it was not sent");
  }

  const sampling: OllamaOptions = {};
  if (request.temperature !== undefined) sampling.temperature = request.temperature;
  if (request.top_p !== undefined) sampling.top_p = request.top_p;
  if (request.seed !== undefined) sampling.seed = request.seed;
  const stop = stopSequencesOf(request);
  if (stop !== undefined) sampling.stop = stop;
  const maxTokens = maxTokensOf(request);
  if (maxTokens !== undefined) sampling.num_predict = maxTokens;
  if (request.presence_penalty !== undefined) sampling.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) sampling.frequency_penalty = request.frequency_penalty;

  let format: OllamaChatRequest["format"];
  const responseFormat = request.response_format;
  if (responseFormat?.type === "json_object") {
    format = "json";
  } else if (responseFormat?.type === "json_schema") {
    const schema = responseFormat.json_schema?.schema;
    if (typeof schema === "object" && schema !== null && !Array.isArray(schema)) {
      format = schema as Record<string, unknown>;
    } else {
      format = "json";
      warnings.add(
        "response_format",
        "response_format json_schema has no schema object; only JSON output was asked for",
      );
    }
  }
  const think = mapOllamaReasoningEffort(request, warnings);
  if (request.user !== undefined) warnings.add("user", "Ollama does not support user; it was not sent");
  warnUnhandledExtras(request, ["reasoning_effort"], "Ollama", warnings);

  const body: OllamaChatRequest = {
    model: request.model,
    messages,
    stream: options.stream,
    ...(tools !== undefined ? { tools } : {}),
    ...(format !== undefined ? { format } : {}),
    ...(Object.keys(sampling).length > 0 ? { options: sampling } : {}),
    ...(think !== undefined ? { think } : {}),
  };
  return { body, warnings: warnings.list };
}
