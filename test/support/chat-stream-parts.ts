import { expect } from "vitest";
import type { ChatStreamPart, FinishReason } from "../../src/providers/chat-spec.js";
import { ProviderError } from "../../src/providers/errors.js";

/** Every part of a stream, in order. */
export async function collectParts(parts: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const out: ChatStreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

/** The parts read before the stream threw, and what it threw. */
export async function partsUntilThrow(
  parts: AsyncIterable<ChatStreamPart>,
): Promise<{ parts: ChatStreamPart[]; error: unknown }> {
  const out: ChatStreamPart[] = [];
  try {
    for await (const part of parts) out.push(part);
  } catch (error) {
    return { parts: out, error };
  }
  throw new Error(`the stream ended without an error after ${out.length} parts`);
}

/** A call that came whole and without an id: one tool-call-delta, with an id generated for it. */
export function wholeToolCallPart(name: string, argumentsDelta: string, index = 0): ChatStreamPart {
  return {
    type: "tool-call-delta",
    index,
    id: expect.stringMatching(/^call_/) as string,
    name,
    argumentsDelta,
  };
}

/** The finish part, its total the sum of the two counts. */
export function finishPart(finishReason: FinishReason, prompt: number, completion: number): ChatStreamPart {
  return {
    type: "finish",
    finishReason,
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

/** The text of the text-delta parts, joined. */
export function streamedText(parts: readonly ChatStreamPart[]): string {
  return parts.map((p) => (p.type === "text-delta" ? p.delta : "")).join("");
}

/** The reasoning of the reasoning-delta parts, joined. */
export function streamedReasoning(parts: readonly ChatStreamPart[]): string {
  return parts.map((p) => (p.type === "reasoning-delta" ? p.delta : "")).join("");
}

/** The ProviderError a promise rejects with. */
export async function providerFailure(promise: Promise<unknown>): Promise<ProviderError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}
