import type { ChatContentPart, ChatMessage } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";
import { parseDataUrl } from "../parse-data-url.js";
import { parseToolArguments } from "../parse-tool-arguments.js";
import {
  type ChatContent,
  contentParts,
  textOf,
  toolNamesById,
  warnReasoningBlocksNotSent,
} from "../read-chat-request.js";

/** A message of Ollama's `/api/chat`. */
export interface OllamaMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  /** Base64 images, no data: prefix. */
  images?: string[];
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  /** The function a tool message answers (Ollama matches results by name; older servers ignore it). */
  tool_name?: string;
}

/**
 * OpenAI messages -> Ollama's, which are close to them: system and developer are role system, kept
 * in place (the model's template places them); text parts are joined; data: images go to `images`;
 * tool call arguments become objects; a tool message names its function.
 */
export function convertToOllamaMessages(
  messages: readonly ChatMessage[],
  warnings: ChatWarnings,
): OllamaMessage[] {
  const names = toolNamesById(messages);
  return messages.map((message): OllamaMessage => {
    if ("name" in message && message.name !== undefined) {
      warnings.add("messages[].name", "Ollama does not support message names; they were not sent");
    }
    switch (message.role) {
      case "system":
      case "developer":
        return { role: "system", content: textWithoutImages(message.content, message.role, warnings) };
      case "user": {
        const images = convertImages(message.content, warnings);
        return { role: "user", content: textOf(message.content), ...(images.length > 0 ? { images } : {}) };
      }
      case "assistant": {
        warnReasoningBlocksNotSent(message, "Ollama", warnings);
        const calls = (message.tool_calls ?? []).map((call) => {
          const args = parseToolArguments(call.function.arguments);
          if (!args.ok) {
            warnings.add(
              "messages[].tool_calls",
              "a tool call's arguments are not a JSON object; Ollama takes an object, so {} was sent",
            );
          }
          return { function: { name: call.function.name, arguments: args.value } };
        });
        return {
          role: "assistant",
          content: textWithoutImages(message.content, "assistant", warnings),
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        };
      }
      case "tool": {
        const name = names.get(message.tool_call_id);
        return {
          role: "tool",
          content: textWithoutImages(message.content, "tool", warnings),
          ...(name !== undefined ? { tool_name: name } : {}),
        };
      }
    }
  });
}

function textWithoutImages(content: ChatContent, role: string, warnings: ChatWarnings): string {
  if (contentParts(content).some((part) => part.type !== "text")) {
    warnings.add(
      "messages",
      `Ollama takes images on user messages only; the images of a ${role} message were not sent`,
    );
  }
  return textOf(content);
}

/** Ollama takes base64 only: it fetches nothing, and this gateway will not fetch for it. */
function convertImages(content: string | ChatContentPart[], warnings: ChatWarnings): string[] {
  const images: string[] = [];
  for (const part of contentParts(content)) {
    if (part.type !== "image_url") continue;
    const { url, detail } = part.image_url;
    if (detail !== undefined && detail !== "auto") {
      warnings.add("image_url.detail", `Ollama does not support image detail "${detail}"; it was not sent`);
    }
    const payload = /^data:/i.test(url) ? parseDataUrl(url) : undefined;
    if (payload === undefined) {
      warnings.add(
        "image_url",
        /^data:/i.test(url)
          ? "an image data: URL could not be read; the image was not sent"
          : "Ollama cannot fetch images by URL; send images as data: URLs (an image URL was not sent)",
      );
      continue;
    }
    images.push(payload.base64);
  }
  return images;
}
