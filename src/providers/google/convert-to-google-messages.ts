import type { ChatContentPart, ChatMessage } from "../chat-spec.js";
import type { ChatWarnings } from "../chat-warnings.js";
import { parseDataUrl } from "../parse-data-url.js";
import { parseToolArguments } from "../parse-tool-arguments.js";
import {
  contentParts,
  isInstruction,
  textOf,
  toolNamesById,
  warnReasoningBlocksNotSent,
} from "../read-chat-request.js";

/** Gemini's parts as this gateway sends them (generativelanguage v1beta). */
export type GooglePart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { functionCall: { name: string; args: Record<string, unknown> }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

export interface GoogleContent {
  role: "user" | "model";
  parts: GooglePart[];
}

export interface GooglePrompt {
  systemInstruction?: { parts: { text: string }[] };
  contents: GoogleContent[];
}

/**
 * Gemini 3 rejects a replayed functionCall without the thought signature it was generated with,
 * and OpenAI's tool_calls have nowhere to keep one; this is Google's documented value for a call
 * whose signature is not at hand (https://ai.google.dev/gemini-api/docs/thought-signatures).
 */
export const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

/**
 * OpenAI messages -> Gemini's `systemInstruction` and `contents`. System and developer messages go
 * to systemInstruction (one after the conversation started is hoisted, with a warning); assistant
 * turns are role "model" with functionCall parts; a tool message is a functionResponse part in a
 * user turn, named after the call it answers (Gemini matches by name, OpenAI by id), and consecutive
 * tool messages share one turn, as Gemini wants one response per call of the model's turn.
 */
export function convertToGoogleMessages(
  messages: readonly ChatMessage[],
  warnings: ChatWarnings,
): GooglePrompt {
  const system: { text: string }[] = [];
  const contents: GoogleContent[] = [];
  const names = toolNamesById(messages);
  let started = false;
  let lastWasTool = false;

  for (const message of messages) {
    if ("name" in message && message.name !== undefined) {
      warnings.add("messages[].name", "Gemini does not support message names; they were not sent");
    }
    if (isInstruction(message)) {
      if (started) {
        warnings.add(
          "messages",
          `Gemini takes instructions only before the conversation; a ${message.role} message after it was moved to systemInstruction`,
        );
      }
      if (contentParts(message.content).some((part) => part.type !== "text")) {
        warnings.add(
          "messages",
          `Gemini's systemInstruction is text only; the images of a ${message.role} message were not sent`,
        );
      }
      const text = textOf(message.content);
      if (text.length > 0) system.push({ text });
      continue;
    }
    started = true;
    switch (message.role) {
      case "user": {
        const parts = convertUserContent(message.content, warnings);
        if (parts.length > 0) contents.push({ role: "user", parts });
        lastWasTool = false;
        break;
      }
      case "assistant": {
        const parts = convertAssistant(message, warnings);
        if (parts.length > 0) contents.push({ role: "model", parts });
        lastWasTool = false;
        break;
      }
      case "tool": {
        const part = convertToolResult(message, names, warnings);
        const last = contents.at(-1);
        if (lastWasTool && last !== undefined) last.parts.push(part);
        else contents.push({ role: "user", parts: [part] });
        lastWasTool = true;
        break;
      }
    }
  }

  return { ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}), contents };
}

function convertUserContent(content: string | ChatContentPart[], warnings: ChatWarnings): GooglePart[] {
  const parts: GooglePart[] = [];
  for (const part of contentParts(content)) {
    if (part.type === "text") {
      if (part.text.length > 0) parts.push({ text: part.text });
      continue;
    }
    const image = convertImage(part, warnings);
    if (image !== undefined) parts.push(image);
  }
  return parts;
}

function convertAssistant(
  message: Extract<ChatMessage, { role: "assistant" }>,
  warnings: ChatWarnings,
): GooglePart[] {
  const parts: GooglePart[] = [];
  warnReasoningBlocksNotSent(message, "Gemini", warnings);
  if (contentParts(message.content).some((part) => part.type !== "text")) {
    warnings.add(
      "messages",
      "Gemini's model turns are text only here; the images of an assistant message were not sent",
    );
  }
  const text = textOf(message.content);
  if (text.length > 0) parts.push({ text });
  (message.tool_calls ?? []).forEach((call, index) => {
    const args = parseToolArguments(call.function.arguments);
    if (!args.ok) {
      warnings.add(
        "messages[].tool_calls",
        "a tool call's arguments are not a JSON object; Gemini takes an object, so {} was sent",
      );
    }
    parts.push({
      functionCall: { name: call.function.name, args: args.value },
      // Gemini signs the first call of a step only.
      ...(index === 0 ? { thoughtSignature: SKIP_THOUGHT_SIGNATURE } : {}),
    });
  });
  return parts;
}

/**
 * A tool message -> a functionResponse. Gemini wants an object: a result that is a JSON object is
 * sent as it is, anything else as `{output: <text>}` (Google's key for a function's output).
 */
function convertToolResult(
  message: Extract<ChatMessage, { role: "tool" }>,
  names: ReadonlyMap<string, string>,
  warnings: ChatWarnings,
): GooglePart {
  let name = names.get(message.tool_call_id);
  if (name === undefined) {
    warnings.add(
      "messages[].tool_call_id",
      "a tool message answers no tool call of the conversation; Gemini needs the function's name, so the id was sent as the name",
    );
    name = message.tool_call_id;
  }
  if (contentParts(message.content).some((part) => part.type !== "text")) {
    warnings.add(
      "messages",
      "Gemini's function responses are text only here; the images of a tool message were not sent",
    );
  }
  const text = textOf(message.content);
  return { functionResponse: { name, response: asResponseObject(text) } };
}

function asResponseObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // not JSON: sent as text
  }
  return { output: text };
}

/** data: URLs inline; Gemini's fileData takes only Files API and a few Google URIs, not any URL. */
function convertImage(
  part: Extract<ChatContentPart, { type: "image_url" }>,
  warnings: ChatWarnings,
): GooglePart | undefined {
  const { url, detail } = part.image_url;
  if (detail !== undefined && detail !== "auto") {
    warnings.add("image_url.detail", `Gemini does not support image detail "${detail}"; it was not sent`);
  }
  const payload = /^data:/i.test(url) ? parseDataUrl(url) : undefined;
  if (payload === undefined) {
    warnings.add(
      "image_url",
      /^data:/i.test(url)
        ? "an image data: URL could not be read; the image was not sent"
        : "Gemini cannot fetch images by URL; send images as data: URLs (an image URL was not sent)",
    );
    return undefined;
  }
  return { inlineData: { mimeType: payload.mediaType, data: payload.base64 } };
}
