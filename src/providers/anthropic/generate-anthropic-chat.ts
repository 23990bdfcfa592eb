import type { ChatRequest, ChatResult } from "../chat-spec.js";
import { describeTarget, joinUrl, postJson } from "../http.js";
import { secretsOf } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";
import { readAnthropicError } from "./anthropic-error.js";
import { anthropicHeaders } from "./anthropic-headers.js";
import { convertToAnthropicRequest } from "./convert-to-anthropic-request.js";
import { parseAnthropicResponse } from "./parse-anthropic-response.js";
import type { CancelSignal } from "../cancel-signal.js";

/** `POST {base}/v1/messages` with x-api-key and anthropic-version, answered as one result. */
export async function generateAnthropicChat(
  target: ProviderTarget,
  request: ChatRequest,
  signal?: CancelSignal,
): Promise<ChatResult> {
  const { body, warnings } = convertToAnthropicRequest(request, { stream: false });
  const url = joinUrl(target.baseUrl, "v1/messages");
  const answer = await postJson(url, body, {
    headers: anthropicHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets: secretsOf(target),
    readError: readAnthropicError,
  });
  return { ...parseAnthropicResponse(answer, describeTarget(target, url)), warnings };
}
