import type { FinishReason } from "../chat-spec.js";

/**
 * Ollama's done_reason -> OpenAI's finish_reason. Ollama says "stop" when the model called a tool,
 * so a stop with tool calls is tool_calls; "length" stays length (the calls may be cut short).
 * "load" and "unload" (an empty prompt loading or unloading the model) and unknown reasons are stop.
 */
export function mapOllamaFinishReason(doneReason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (doneReason === "length") return "length";
  return hasToolCalls ? "tool_calls" : "stop";
}
