import type { ChatRequest, ChatStream } from "../chat-spec.js";
import { describeUrl, joinUrl, postStream } from "../http.js";
import { secretsOf } from "../request-headers.js";
import { cancelStream, chatStreamParts, expectStreamContentType } from "../run-chat-stream-parser.js";
import type { ProviderTarget } from "../spec.js";
import { readSseEvents } from "../sse.js";
import { convertToGoogleRequest } from "./convert-to-google-request.js";
import { googleModelPath } from "./google-model-path.js";
import { readGoogleError } from "./google-error.js";
import { googleHeaders } from "./google-headers.js";
import { GoogleStreamParser } from "./parse-google-stream.js";
import type { CancelSignal } from "../cancel-signal.js";

/**
 * `POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`. Resolves on the 200, before
 * the first chunk (which comes with the first tokens), so the stream has no id: Gemini's
 * responseId is in the chunks.
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
  const where = describeUrl(url);
  const secrets = secretsOf(target);
  const response = await postStream(url, body, {
    headers: googleHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    secrets,
    readError: readGoogleError,
    accept: "text/event-stream",
  });
  expectStreamContentType(response, /^text\/event-stream/i, "an event stream", where);
  const events = readSseEvents(response.body, { where, secrets })[Symbol.asyncIterator]();
  const parser = new GoogleStreamParser(where, secrets);
  return { warnings, parts: chatStreamParts(events, parser, { cancel: () => cancelStream(response) }) };
}
