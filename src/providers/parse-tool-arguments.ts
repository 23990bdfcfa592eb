/**
 * OpenAI carries a tool call's arguments as a JSON string; Anthropic, Gemini and Ollama want the
 * object. `ok` is false when the string is not a JSON object (a model can emit broken JSON, and a
 * caller can send it back in the history): the value is then `{}` and the caller warns.
 */
export function parseToolArguments(json: string): { value: Record<string, unknown>; ok: boolean } {
  if (json.trim() === "") return { value: {}, ok: true };
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return { value: parsed as Record<string, unknown>, ok: true };
    }
  } catch {
    // falls through
  }
  return { value: {}, ok: false };
}
