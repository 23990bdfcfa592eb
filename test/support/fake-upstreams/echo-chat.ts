/**
 * The deterministic answer the Anthropic, Google and Ollama fakes give (openai-chat.ts follows the
 * same rules for OpenAI), so tests can assert on it:
 *
 * - the answer is `echo: <text of the last user message>`, streamed one word (and its trailing
 *   space) per chunk;
 * - when the request has tools and that text contains "call tool", the model calls the first tool
 *   with arguments `{"text": <that text>}`;
 * - a max-tokens setting cuts the answer to that many words (finish: length), and a stop sequence
 *   cuts it before the sequence (finish: stop);
 * - "slow stream" makes a stream of SLOW_CHUNKS chunks SLOW_CHUNK_MS apart (to abort one midway);
 * - "stream error" makes a stream fail after its first chunk, in the format's own way;
 * - "cut stream" makes a stream stop after its first chunk without its end (no final event);
 * - (Anthropic) "overloaded" is its 529 overloaded_error: over HTTP for a plain request, as the
 *   first SSE event for a stream;
 * - "think first" makes the model reason before it answers: the reasoning is
 *   `reasoningFor(<that text>)`, in the format's own way (OpenAI-compatible `reasoning_content`,
 *   Anthropic thinking blocks, Gemini thought parts, Ollama's `thinking`), streamed in pieces like
 *   the answer and before it; usage is unchanged by it (Anthropic's fake reasons only when the
 *   request enables thinking, and "redacted thinking" adds a redacted_thinking block: see anthropic.ts);
 * - usage counts words: prompt = words of every message and instruction, completion = chunks.
 */

export const SLOW_CHUNKS = 100;
export const SLOW_CHUNK_MS = 30;

export interface EchoPlan {
  /** The answer's pieces, in order; empty when the model only calls a tool. */
  pieces: string[];
  text: string;
  /** Why the text ended: "max_tokens", "stop_sequence" (with the sequence), or "end". */
  ended: { reason: "end" } | { reason: "max_tokens" } | { reason: "stop_sequence"; sequence: string };
  tool: { name: string; args: { text: string } } | undefined;
  slow: boolean;
  streamError: boolean;
  cut: boolean;
  completionTokens: number;
}

/** The reasoning a "think first" request gets (see above); undefined for any other. */
export function reasoningFor(userText: string): string | undefined {
  return /think first/i.test(userText) ? `thinking about: ${userText}` : undefined;
}

export function words(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

/** Each word with the whitespace after it. */
export function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export function planEcho(
  userText: string,
  options: { toolName?: string; maxTokens?: number; stop?: readonly string[] },
): EchoPlan {
  const tool =
    options.toolName !== undefined && /call tool/i.test(userText)
      ? { name: options.toolName, args: { text: userText } }
      : undefined;
  const slow = /slow stream/i.test(userText);
  let text = tool === undefined ? `echo: ${userText}` : "";
  let ended: EchoPlan["ended"] = { reason: "end" };

  for (const sequence of options.stop ?? []) {
    const at = sequence.length > 0 ? text.indexOf(sequence) : -1;
    if (at >= 0) {
      text = text.slice(0, at);
      ended = { reason: "stop_sequence", sequence };
      break;
    }
  }
  let answer = slow ? Array.from({ length: SLOW_CHUNKS }, (_, i) => `${i} `) : pieces(text);
  if (options.maxTokens !== undefined && answer.length > options.maxTokens) {
    answer = answer.slice(0, options.maxTokens);
    ended = { reason: "max_tokens" };
  }
  return {
    pieces: answer,
    text: answer.join(""),
    ended,
    tool,
    slow,
    streamError: /stream error/i.test(userText),
    cut: /cut stream/i.test(userText),
    completionTokens: answer.length + (tool === undefined ? 0 : 1),
  };
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function parseJsonBody(body: string): Record<string, unknown> | undefined {
  try {
    return asRecord(JSON.parse(body));
  } catch {
    return undefined;
  }
}
