import type { FinishReason } from "../chat-spec.js";

/**
 * OpenAI's finish_reason as the gateway's: the same names, plus the legacy `function_call` (a tool
 * call) and what compatible servers send instead (vLLM and llama.cpp `eos`, TGI `eos_token` and
 * `stop_sequence`, `max_tokens`). Anything unknown ended normally as far as the caller can tell.
 */
export function mapOpenAIFinishReason(reason: string): FinishReason {
  switch (reason) {
    case "stop":
    case "eos":
    case "eos_token":
    case "stop_sequence":
    case "end_turn":
      return "stop";
    case "length":
    case "max_tokens":
    case "model_length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    case "error":
      return "error";
    default:
      return "stop";
  }
}
