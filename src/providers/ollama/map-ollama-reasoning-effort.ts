import type { ChatRequest } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";
import { readReasoningEffort } from "../read-chat-request.js";

const EFFORTS = ["none", "low", "medium", "high"] as const;

/**
 * OpenAI's `reasoning_effort` (an extra) -> Ollama's `think`: true for low, medium and high, false
 * for "none". Ollama also takes "low" / "medium" / "high" as `think`, but only for models that list
 * them as thinking levels (gpt-oss): others refuse a level with a 400 ("think value \"medium\" is not
 * supported for this model") where they take true, and the gateway cannot see which model takes
 * which without asking /api/show. Every thinking model takes true (gpt-oss as its default level,
 * medium), so the level is given up for a value that does not fail on the model
 * (docs.ollama.com/capabilities/thinking). A model that cannot think refuses true too ("does not
 * support thinking"), as OpenAI refuses reasoning_effort for a model without reasoning: that error
 * is the caller's to see. Any other value is reported (see readReasoningEffort); undefined when
 * there is nothing to send.
 */
export function mapOllamaReasoningEffort(request: ChatRequest, warnings: ChatWarnings): boolean | undefined {
  const effort = readReasoningEffort(request, EFFORTS, "Ollama", warnings);
  return effort === undefined ? undefined : effort !== "none";
}
