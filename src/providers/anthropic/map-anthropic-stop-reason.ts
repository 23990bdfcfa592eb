import type { FinishReason } from "../chat-spec.js";

/**
 * Anthropic's stop_reason -> OpenAI's finish_reason. `pause_turn` (a server tool paused a long turn)
 * is a normal stop for a caller; an unknown or missing reason reads as stop.
 */
export function mapAnthropicStopReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}
