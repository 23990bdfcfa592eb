import type { ChatRequest, ChatResult } from "../chat-spec.js";
import { describeTarget, joinUrl, postJson } from "../http.js";
import { secretsOf } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";
import { convertToGoogleRequest } from "./convert-to-google-request.js";
import { googleModelPath } from "./google-model-path.js";
import { readGoogleError } from "./google-error.js";
import { googleHeaders } from "./google-headers.js";
import { parseGoogleResponse } from "./parse-google-response.js";
import type { CancelSignal } from "../cancel-signal.js";

/** `POST {base}/v1beta/models/{model}:generateContent`, the key in x-goog-api-key (never the URL). */
export async function generateGoogleChat(
  target: ProviderTarget,
  request: ChatRequest,
  signal?: CancelSignal,
): Promise<ChatResult> {
  const { body, warnings } = convertToGoogleRequest(request);
  const url = joinUrl(target.baseUrl, `v1beta/${googleModelPath(request.model)}:generateContent`);
  const answer = await postJson(url, body, {
    headers: googleHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets: secretsOf(target),
    readError: readGoogleError,
  });
  return { ...parseGoogleResponse(answer, describeTarget(target, url)), warnings };
}
