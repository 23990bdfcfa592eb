import type { ChatRequest, ChatStream } from "../chat-spec.js";
import { describeTarget, joinUrl, postStream } from "../http.js";
import { secretsOf } from "../request-headers.js";
import { cancelStream, startChatStream, expectStreamContentType } from "../run-chat-stream-parser.js";
import type { ProviderTarget } from "../spec.js";
import { readSseEvents } from "../sse.js";
import { readAnthropicError } from "./anthropic-error.js";
import { anthropicHeaders } from "./anthropic-headers.js";
import { convertToAnthropicRequest } from "./convert-to-anthropic-request.js";
import { AnthropicStreamParser } from "./parse-anthropic-stream.js";
import type { CancelSignal } from "../cancel-signal.js";

/**
 * `POST {base}/v1/messages` with `stream: true`. Resolves once the first event (message_start, sent
 * before any token) has come, so the stream has its id, and an error Anthropic sends as its first
 * event (overloaded_error right after the 200) still rejects here, where it can be retried.
 */
export async function streamAnthropicChat(
  target: ProviderTarget,
  request: ChatRequest,
  signal?: CancelSignal,
): Promise<ChatStream> {
  const { body, warnings } = convertToAnthropicRequest(request, { stream: true });
  const url = joinUrl(target.baseUrl, "v1/messages");
  const where = describeTarget(target, url);
  const secrets = secretsOf(target);
  const response = await postStream(url, body, {
    headers: anthropicHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets,
    readError: readAnthropicError,
    accept: "text/event-stream",
  });
  expectStreamContentType(response, /^text\/event-stream/i, "an event stream", where);

  const events = readSseEvents(response.body, { where, secrets })[Symbol.asyncIterator]();
  const parser = new AnthropicStreamParser(where, secrets);
  const parts = await startChatStream(events, parser, {
    cancel: () => cancelStream(response),
    started: response.started,
    enough: (first) => parser.id !== undefined || first.length > 0,
  });
  return { warnings, id: parser.id, parts };
}
