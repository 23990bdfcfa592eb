import type { FinishReason } from "../chat-spec.js";

/**
 * Gemini's finishReason -> OpenAI's finish_reason. STOP with function calls in the answer is
 * tool_calls (Gemini has no reason of its own for them); the safety family is content_filter; a
 * malformed or unexpected function call is error; anything else (OTHER, LANGUAGE, unknown) is stop.
 */
export function mapGoogleFinishReason(finishReason: string | undefined, hasToolCalls: boolean): FinishReason {
  switch (finishReason) {
    case "STOP":
    case undefined:
      return hasToolCalls ? "tool_calls" : "stop";
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    case "MALFORMED_FUNCTION_CALL":
    case "UNEXPECTED_TOOL_CALL":
      return "error";
    default:
      return hasToolCalls ? "tool_calls" : "stop";
  }
}
