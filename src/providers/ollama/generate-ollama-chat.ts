import type { ChatRequest, ChatResult } from "../chat-spec.js";
import { describeTarget, joinUrl, postJson } from "../http.js";
import { secretsOf } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";
import { convertToOllamaRequest } from "./convert-to-ollama-request.js";
import { ollamaHeaders } from "./ollama-headers.js";
import { parseOllamaResponse } from "./parse-ollama-response.js";
import type { CancelSignal } from "../cancel-signal.js";

/** `POST {base}/api/chat` with stream: false. Errors are `{"error": "..."}`, read by the generic reader. */
export async function generateOllamaChat(
  target: ProviderTarget,
  request: ChatRequest,
  signal?: CancelSignal,
): Promise<ChatResult> {
  const { body, warnings } = convertToOllamaRequest(request, { stream: false });
  const url = joinUrl(target.baseUrl, "api/chat");
  const answer = await postJson(url, body, {
    headers: ollamaHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets: secretsOf(target),
  });
  return { ...parseOllamaResponse(answer, describeTarget(target, url)), warnings };
}
