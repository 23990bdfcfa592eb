import type { ChatRequest, ChatStream } from "../chat-spec.js";
import { describeTarget, joinUrl, postStream } from "../http.js";
import { secretsOf } from "../request-headers.js";
import { cancelStream, expectStreamContentType, startChatStream } from "../run-chat-stream-parser.js";
import type { ProviderTarget } from "../spec.js";
import { readSseEvents } from "../sse.js";
import { convertToGoogleRequest } from "./convert-to-google-request.js";
import { googleModelPath } from "./google-model-path.js";
import { readGoogleError } from "./google-error.js";
import { googleHeaders } from "./google-headers.js";
import { GoogleStreamParser } from "./parse-google-stream.js";
import type { CancelSignal } from "../cancel-signal.js";

/**
 * `POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`. Resolves once the first chunk
 * has come (with the first tokens, and Gemini's responseId as the stream's id), so an error chunk
 * first, or a 200 followed by silence, still rejects here, where the gateway can retry or fall back.
 */
export async function streamGoogleChat(
  target: ProviderTarget,
  request: ChatRequest,
  signal?: CancelSignal,
): Promise<ChatStream> {
  const { body, warnings } = convertToGoogleRequest(request);
  const url = joinUrl(target.baseUrl, `v1beta/${googleModelPath(request.model)}:streamGenerateContent`, {
    alt: "sse",
  });
  const where = describeTarget(target, url);
  const secrets = secretsOf(target);
  const response = await postStream(url, body, {
    headers: googleHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets,
    readError: readGoogleError,
    accept: "text/event-stream",
  });
  expectStreamContentType(response, /^text\/event-stream/i, "an event stream", where);
  const events = readSseEvents(response.body, { where, secrets })[Symbol.asyncIterator]();
  const parser = new GoogleStreamParser(where, secrets);
  const parts = await startChatStream(events, parser, {
    cancel: () => cancelStream(response),
    started: response.started,
    enough: (first) => parser.id !== undefined || first.length > 0,
  });
  return parser.id === undefined ? { warnings, parts } : { warnings, id: parser.id, parts };
}
