import type { ChatContentPart, ChatMessage, ChatReasoningBlock } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";
import { parseDataUrl } from "../parse-data-url.js";
import { parseToolArguments } from "../parse-tool-arguments.js";
import { contentParts, isInstruction, textOf } from "../read-chat-request.js";

/** Anthropic's content blocks as this gateway sends them (Messages API, 2023-06-01). */
export type AnthropicImageSource =
  { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };

export type AnthropicContentBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "text"; text: string }
  | { type: "image"; source: AnthropicImageSource }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | {
      type: "tool_result";
      tool_use_id: string;
      content: string | ({ type: "text"; text: string } | { type: "image"; source: AnthropicImageSource })[];
    };

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicContentBlock[];
}

export interface AnthropicPrompt {
  /** Top-level `system`: one text block per system or developer message; absent when there is none. */
  system?: { type: "text"; text: string }[];
  messages: AnthropicMessage[];
}

/**
 * OpenAI messages -> Anthropic's `system` and alternating user/assistant turns. System and
 * developer messages go to the top-level `system` (one met after the conversation started is
 * hoisted there, with a warning); an assistant message's reasoning blocks (its `thinking_blocks`)
 * lead its turn, as Anthropic gave them; tool messages become `tool_result` blocks in a user turn, and
 * consecutive messages of one side (user and tool, or assistant) are merged into one turn, because
 * Anthropic wants every tool_result of a turn in the user message right after the tool_use.
 */
export function convertToAnthropicMessages(
  messages: readonly ChatMessage[],
  warnings: ChatWarnings,
): AnthropicPrompt {
  const system: { type: "text"; text: string }[] = [];
  const turns: AnthropicMessage[] = [];
  let started = false;

  const push = (role: AnthropicMessage["role"], blocks: AnthropicContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };

  for (const message of messages) {
    if ("name" in message && message.name !== undefined) {
      warnings.add("messages[].name", "Anthropic does not support message names; they were not sent");
    }
    if (isInstruction(message)) {
      if (started) {
        warnings.add(
          "messages",
          `Anthropic takes instructions only before the conversation; a ${message.role} message after it was moved to the top-level system prompt`,
        );
      }
      if (contentParts(message.content).some((part) => part.type !== "text")) {
        warnings.add(
          "messages",
          `Anthropic's system prompt is text only; the images of a ${message.role} message were not sent`,
        );
      }
      const text = textOf(message.content);
      if (text.length > 0) system.push({ type: "text", text });
      continue;
    }
    started = true;
    switch (message.role) {
      case "user":
        push("user", convertUserContent(message.content, warnings));
        break;
      case "assistant":
        push("assistant", convertAssistant(message, warnings));
        break;
      case "tool":
        push("user", [convertToolResult(message, warnings)]);
        break;
    }
  }

  return { ...(system.length > 0 ? { system } : {}), messages: turns };
}

function convertUserContent(
  content: string | ChatContentPart[],
  warnings: ChatWarnings,
): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const part of contentParts(content)) {
    if (part.type === "text") {
      // Anthropic rejects empty text blocks.
      if (part.text.length > 0) blocks.push({ type: "text", text: part.text });
      continue;
    }
    const image = convertImage(part, warnings);
    if (image !== undefined) blocks.push(image);
  }
  return blocks;
}

function convertAssistant(
  message: Extract<ChatMessage, { role: "assistant" }>,
  warnings: ChatWarnings,
): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = convertReasoningBlocks(message.reasoningBlocks, warnings);
  if (contentParts(message.content).some((part) => part.type !== "text")) {
    warnings.add(
      "messages",
      "Anthropic's assistant turns are text only; the images of an assistant message were not sent",
    );
  }
  const text = textOf(message.content);
  if (text.length > 0) blocks.push({ type: "text", text });
  for (const call of message.tool_calls ?? []) {
    const input = parseToolArguments(call.function.arguments);
    if (!input.ok) {
      warnings.add(
        "messages[].tool_calls",
        "a tool call's arguments are not a JSON object; Anthropic takes an object, so {} was sent",
      );
    }
    blocks.push({ type: "tool_use", id: call.id, name: call.function.name, input: input.value });
  }
  return blocks;
}

/**
 * The turn's thinking back as Anthropic sent it, signatures untouched, so a tool loop can go on
 * thinking. Anthropic refuses a thinking block without its signature, so one a caller sent back
 * without it (a stream read without its signature_delta) is left out, with a warning.
 */
function convertReasoningBlocks(
  reasoningBlocks: readonly ChatReasoningBlock[] | undefined,
  warnings: ChatWarnings,
): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const block of reasoningBlocks ?? []) {
    if (block.type === "redacted-reasoning") {
      blocks.push({ type: "redacted_thinking", data: block.data });
    } else if (block.signature !== undefined && block.signature.length > 0) {
      blocks.push({ type: "thinking", thinking: block.text, signature: block.signature });
    } else {
      warnings.add(
        "messages[].thinking_blocks",
        "Anthropic takes a thinking block back only with its signature; one without it was not sent",
      );
    }
  }
  return blocks;
}

function convertToolResult(
  message: Extract<ChatMessage, { role: "tool" }>,
  warnings: ChatWarnings,
): AnthropicContentBlock {
  const parts = contentParts(message.content);
  if (parts.every((part) => part.type === "text")) {
    return { type: "tool_result", tool_use_id: message.tool_call_id, content: textOf(message.content) };
  }
  const content: ({ type: "text"; text: string } | { type: "image"; source: AnthropicImageSource })[] = [];
  for (const part of parts) {
    if (part.type === "text") {
      if (part.text.length > 0) content.push({ type: "text", text: part.text });
    } else {
      const image = convertImage(part, warnings);
      if (image !== undefined) content.push(image);
    }
  }
  return { type: "tool_result", tool_use_id: message.tool_call_id, content };
}

/** data: URLs inline as base64, http(s) URLs as a url source Anthropic fetches itself. */
function convertImage(
  part: Extract<ChatContentPart, { type: "image_url" }>,
  warnings: ChatWarnings,
): { type: "image"; source: AnthropicImageSource } | undefined {
  const { url, detail } = part.image_url;
  if (detail !== undefined && detail !== "auto") {
    warnings.add("image_url.detail", `Anthropic does not support image detail "${detail}"; it was not sent`);
  }
  if (/^data:/i.test(url)) {
    const payload = parseDataUrl(url);
    if (payload === undefined) {
      warnings.add("image_url", "an image data: URL could not be read; the image was not sent");
      return undefined;
    }
    return { type: "image", source: { type: "base64", media_type: payload.mediaType, data: payload.base64 } };
  }
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  warnings.add(
    "image_url",
    "Anthropic takes images as data: or https: URLs; an image with another URL was not sent",
  );
  return undefined;
}
