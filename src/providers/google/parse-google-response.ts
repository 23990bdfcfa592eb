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
      // Counts are read by readTokenCount, which makes any value safe: a null or odd count must not
      // fail an answer that is otherwise whole.
      promptTokenCount: Type.Optional(Type.Unknown()),
      candidatesTokenCount: Type.Optional(Type.Unknown()),
      thoughtsTokenCount: Type.Optional(Type.Unknown()),
      totalTokenCount: Type.Optional(Type.Unknown()),
    }),
  ),
  responseId: Type.Optional(Type.String()),
});

export type GoogleResponse = Static<typeof GoogleResponseShape>;

export const GoogleResponseValidator = Compile(GoogleResponseShape);

/** One part of a candidate as this gateway reads it, in the order Gemini sent it. */
export type GooglePiece =
  | { type: "text"; text: string }
  /** A thought summary (a part with `thought: true`), which is reasoning, never the answer. */
  | { type: "reasoning"; text: string }
  | { type: "tool-call"; call: ChatToolCall };

/** What one response or chunk says: its first candidate's parts, and how it ended. */
export interface GoogleCandidateReading {
  /** Text, thought summaries and calls in order; empty texts and unmapped parts left out. */
  pieces: GooglePiece[];
  finishReason: string | undefined;
  /** The prompt was refused before any candidate (promptFeedback.blockReason). */
  blockReason: string | undefined;
}

/**
 * Gemini gives function calls no id (or, on some surfaces, its own): a missing one is generated. A
 * part's thoughtSignature (on calls, and on text when thinking) is the model's to get back in a
 * later turn, not the caller's to see, so it is not read.
 */
export function readGoogleCandidate(response: GoogleResponse): GoogleCandidateReading {
  const candidate = response.candidates?.[0];
  const pieces: GooglePiece[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall !== undefined) {
      pieces.push({
        type: "tool-call",
        call: {
          id: part.functionCall.id || generateToolCallId(),
          type: "function",
          function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        },
      });
    } else if (typeof part.text === "string" && part.text.length > 0) {
      pieces.push({ type: part.thought === true ? "reasoning" : "text", text: part.text });
    }
  }
  return {
    pieces,
    finishReason: candidate?.finishReason,
    blockReason: response.candidates?.length ? undefined : response.promptFeedback?.blockReason,
  };
}

/**
 * generateContent's answer -> the result: the text parts joined, the thought summaries joined apart
 * as the reasoning; a blocked prompt is content_filter with no text.
 */
export function parseGoogleResponse(body: unknown, where: string): Omit<ChatResult, "warnings"> {
  const response = expectShape(GoogleResponseValidator, body, where);
  const reading = readGoogleCandidate(response);
  let text = "";
  let reasoning = "";
  const toolCalls: ChatToolCall[] = [];
  for (const piece of reading.pieces) {
    if (piece.type === "text") text += piece.text;
    else if (piece.type === "reasoning") reasoning += piece.text;
    else toolCalls.push(piece.call);
  }
  return {
    ...(response.responseId !== undefined ? { id: response.responseId } : {}),
    text: text.length > 0 ? text : null,
    ...(reasoning.length > 0 ? { reasoning } : {}),
    toolCalls,
    finishReason:
      reading.blockReason !== undefined
        ? "content_filter"
        : mapGoogleFinishReason(reading.finishReason, toolCalls.length > 0),
    usage: mapGoogleUsage(response.usageMetadata),
  };
}
