import { randomBytes } from "node:crypto";

/** An OpenAI-style tool call id (`call_` and 24 hex characters) for upstreams that give none. */
export function generateToolCallId(): string {
  return `call_${randomBytes(12).toString("hex")}`;
}
