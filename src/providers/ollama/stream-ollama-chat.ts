import type { ChatRequest, ChatStream } from "../chat-spec.js";
import { describeTarget, joinUrl, postStream } from "../http.js";
import { secretsOf } from "../request-headers.js";
import { cancelStream, expectStreamContentType, startChatStream } from "../run-chat-stream-parser.js";
import type { ProviderTarget } from "../spec.js";
import { readNdjson } from "../sse.js";
import { convertToOllamaRequest } from "./convert-to-ollama-request.js";
import { ollamaHeaders } from "./ollama-headers.js";
import { OllamaStreamParser } from "./parse-ollama-stream.js";
import type { CancelSignal } from "../cancel-signal.js";

/**
 * `POST {base}/api/chat` with stream: true: NDJSON (application/x-ndjson), one line per chunk.
 * Resolves once the first line has come, so an error line first, or a 200 followed by silence,
 * still rejects here, where the gateway can retry or fall back.
 */
export async function streamOllamaChat(
  target: ProviderTarget,
  request: ChatRequest,
  signal?: CancelSignal,
): Promise<ChatStream> {
  const { body, warnings } = convertToOllamaRequest(request, { stream: true });
  const url = joinUrl(target.baseUrl, "api/chat");
  const where = describeTarget(target, url);
  const secrets = secretsOf(target);
  const response = await postStream(url, body, {
    headers: ollamaHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets,
    accept: "application/x-ndjson",
  });
  expectStreamContentType(response, /json/i, "newline-delimited JSON", where);
  const lines = readNdjson(response.body, { where, secrets })[Symbol.asyncIterator]();
  const parser = new OllamaStreamParser(where, secrets);
  const parts = await startChatStream(lines, parser, {
    cancel: () => cancelStream(response),
    started: response.started,
    enough: () => parser.lines > 0,
  });
  return { warnings, parts };
}
