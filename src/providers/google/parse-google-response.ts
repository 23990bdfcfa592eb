import { Type, type Static } from "typebox";
import { Compile } from "typebox/compile";
import type { ChatResult, ChatToolCall } from "../chat-spec.js";
import { expectShape } from "../expect-shape.js";
import { generateToolCallId } from "../generate-tool-call-id.js";
import { mapGoogleFinishReason } from "./map-google-finish-reason.js";
import { mapGoogleUsage } from "./map-google-usage.js";

/**
 * A GenerateContentResponse: the whole answer of generateContent, or one chunk of
 * streamGenerateContent. Parts this gateway does not map (inlineData, executableCode) pass.
 */
const GoogleResponseShape = Type.Object({
  candidates: Type.Optional(
    Type.Array(
      Type.Object({
        content: Type.Optional(
          Type.Object({
            parts: Type.Optional(
              Type.Array(
                Type.Object({
                  text: Type.Optional(Type.String()),
                  thought: Type.Optional(Type.Boolean()),
                  functionCall: Type.Optional(
                    Type.Object({
                      name: Type.String({ minLength: 1 }),
                      args: Type.Optional(Type.Unknown()),
                      id: Type.Optional(Type.String()),
                    }),
                  ),
                }),
              ),
            ),
          }),
        ),
        finishReason: Type.Optional(Type.String()),
      }),
    ),
  ),
  promptFeedback: Type.Optional(Type.Object({ blockReason: Type.Optional(Type.String()) })),
  usageMetadata: Type.Optional(
    Type.Object({
      promptTokenCount: Type.Optional(Type.Number()),
      candidatesTokenCount: Type.Optional(Type.Number()),
      thoughtsTokenCount: Type.Optional(Type.Number()),
      totalTokenCount: Type.Optional(Type.Number()),
    }),
  ),
  responseId: Type.Optional(Type.String()),
});

export type GoogleResponse = Static<typeof GoogleResponseShape>;

export const GoogleResponseValidator = Compile(GoogleResponseShape);

/** What one response or chunk says: its first candidate's text and calls, and how it ended. */
export interface GoogleCandidateReading {
  /** Text parts in order; thought summaries (`thought: true`) left out. */
  texts: string[];
  toolCalls: ChatToolCall[];
  finishReason: string | undefined;
  /** The prompt was refused before any candidate (promptFeedback.blockReason). */
  blockReason: string | undefined;
}

/** Gemini gives function calls no id (or, on some surfaces, its own): a missing one is generated. */
export function readGoogleCandidate(response: GoogleResponse): GoogleCandidateReading {
  const candidate = response.candidates?.[0];
  const texts: string[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall !== undefined) {
      toolCalls.push({
        id: part.functionCall.id || generateToolCallId(),
        type: "function",
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    } else if (typeof part.text === "string" && part.thought !== true && part.text.length > 0) {
      texts.push(part.text);
    }
  }
  return {
    texts,
    toolCalls,
    finishReason: candidate?.finishReason,
    blockReason: response.candidates?.length ? undefined : response.promptFeedback?.blockReason,
  };
}

/** generateContent's answer -> the result; a blocked prompt is content_filter with no text. */
export function parseGoogleResponse(body: unknown, where: string): Omit<ChatResult, "warnings"> {
  const response = expectShape(GoogleResponseValidator, body, where);
  const reading = readGoogleCandidate(response);
  return {
    ...(response.responseId !== undefined ? { id: response.responseId } : {}),
    text: reading.texts.length > 0 ? reading.texts.join("") : null,
    toolCalls: reading.toolCalls,
    finishReason:
      reading.blockReason !== undefined
        ? "content_filter"
        : mapGoogleFinishReason(reading.finishReason, reading.toolCalls.length > 0),
    usage: mapGoogleUsage(response.usageMetadata),
  };
}
