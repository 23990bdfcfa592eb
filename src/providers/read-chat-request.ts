import type { ChatContentPart, ChatMessage, ChatRequest } from "./chat-spec.js";
import type { ChatWarnings } from "./chat-warnings.js";

/** Readers of the OpenAI-shaped request that every wire format's conversion shares. */

/** A message's content as it may come: an assistant message that only calls tools may leave it out. */
export type ChatContent = string | ChatContentPart[] | null | undefined;

/** A message's content as parts: a string is one text part; null or left out is none. */
export function contentParts(content: ChatContent): ChatContentPart[] {
  if (content === null || content === undefined) return [];
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/** The text parts of a content, joined back to back as OpenAI reads them. */
export function textOf(content: ChatContent): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content
    .filter((part): part is Extract<ChatContentPart, { type: "text" }> => part.type === "text")
    .map((part) => part.text)
    .join("");
}

/** OpenAI's max_completion_tokens supersedes max_tokens. */
export function maxTokensOf(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens;
}

/** `stop` as a list; undefined when none is set. */
export function stopSequencesOf(request: ChatRequest): string[] | undefined {
  if (request.stop === undefined) return undefined;
  const list = typeof request.stop === "string" ? [request.stop] : request.stop;
  return list.length > 0 ? list : undefined;
}

/**
 * The function name of every tool call in the history, by id: Gemini and Ollama answer a call by
 * its name, where OpenAI's tool message carries only the id.
 */
export function toolNamesById(messages: readonly ChatMessage[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== "assistant") continue;
    for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
  }
  return names;
}

/** System and developer messages, which every format but OpenAI's keeps apart from the turns. */
export function isInstruction(
  message: ChatMessage,
): message is Extract<ChatMessage, { role: "system" | "developer" }> {
  return message.role === "system" || message.role === "developer";
}

/**
 * An assistant message's reasoning blocks (its `thinking_blocks`) are only Anthropic's to take back;
 * a wire format that cannot reports them, once, and sends the message without them.
 */
export function warnReasoningBlocksNotSent(
  message: Extract<ChatMessage, { role: "assistant" }>,
  upstream: string,
  warnings: ChatWarnings,
): void {
  if (message.reasoningBlocks === undefined || message.reasoningBlocks.length === 0) return;
  warnings.add(
    "messages[].thinking_blocks",
    `${upstream} does not take thinking_blocks back; they were not sent`,
  );
}

/** Values of OpenAI fields that ask for nothing beyond the default, so need no warning. */
const NEUTRAL_EXTRAS: Readonly<Record<string, unknown>> = {
  n: 1,
  logprobs: false,
  top_logprobs: 0,
  parallel_tool_calls: true,
};

/**
 * Warns for each `extra` field (an OpenAI field the gateway passes through unparsed) that the wire
 * format does not handle. null and undefined values were not really sent, and neutral ones (`n: 1`)
 * ask for the default, so neither is reported.
 */
export function warnUnhandledExtras(
  request: ChatRequest,
  handled: readonly string[],
  upstream: string,
  warnings: ChatWarnings,
): void {
  for (const [name, value] of Object.entries(request.extra ?? {})) {
    if (value === undefined || value === null || handled.includes(name)) continue;
    if (Object.hasOwn(NEUTRAL_EXTRAS, name) && NEUTRAL_EXTRAS[name] === value) continue;
    warnings.add(name, `${upstream} does not support ${name}; it was not sent`);
  }
}

/**
 * OpenAI's `reasoning_effort` (an extra, so unparsed) as one of the levels a wire format has an
 * answer for; undefined when it was not sent (or sent as null), and, reported, when it is none of
 * them: the format then sends nothing for it, and the model reasons as it would unasked.
 */
export function readReasoningEffort<Level extends string>(
  request: ChatRequest,
  levels: readonly Level[],
  upstream: string,
  warnings: ChatWarnings,
): Level | undefined {
  const effort = request.extra?.reasoning_effort;
  if (effort === undefined || effort === null) return undefined;
  if ((levels as readonly unknown[]).includes(effort)) return effort as Level;
  warnings.add(
    "reasoning_effort",
    `${upstream} takes reasoning_effort ${levels.join(", ")}, not ${JSON.stringify(effort)}; it was not sent`,
  );
  return undefined;
}
