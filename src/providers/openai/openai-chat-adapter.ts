import type { ChatAdapter, EmbeddingsRequest, EmbeddingsResult } from "../chat-spec.js";
import { describeTarget, postJson, postStream, type UpstreamCallOptions } from "../http.js";
import { secretsOf } from "../request-headers.js";
import type { ProviderTarget } from "../spec.js";
import { readSseEvents } from "../sse.js";
import { convertToOpenAIEmbeddingsRequest, convertToOpenAIRequest } from "./convert-to-openai-request.js";
import { readOpenAIChatStream } from "./openai-chat-stream.js";
import { readOpenAIError } from "./openai-error.js";
import { parseOpenAIChatResponse, parseOpenAIEmbeddingsResponse } from "./parse-openai-response.js";
import type { CancelSignal } from "../cancel-signal.js";

/** Where an OpenAI-family upstream takes its calls, and how it wants the key. */
export interface OpenAIEndpoints {
  /** `POST` target of Chat Completions for `model` (the upstream model id). */
  chatCompletionsUrl(target: ProviderTarget, model: string): string;
  /** `POST` target of Embeddings for `model`. */
  embeddingsUrl(target: ProviderTarget, model: string): string;
  headers(target: ProviderTarget): Record<string, string>;
}

/** The chat half of an OpenAI-family adapter; doEmbed is always there. */
export type OpenAIChatAdapter = ChatAdapter & Required<Pick<ChatAdapter, "doEmbed">>;

/**
 * doGenerate, doStream and doEmbed over OpenAI's wire format, for OpenAI and its compatibles
 * (openai-adapter.ts) and for Azure (azure-openai-adapter.ts), which differ only in their endpoints.
 * Errors are read with readOpenAIError: the status is kept (a 400 stays a 400, not retried), 429 is
 * retryable with its Retry-After, 5xx retryable, and no key ever reaches a message.
 */
export function createOpenAIChatAdapter(endpoints: OpenAIEndpoints): OpenAIChatAdapter {
  const callOptions = (target: ProviderTarget, signal: CancelSignal | undefined): UpstreamCallOptions => ({
    headers: endpoints.headers(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets: secretsOf(target),
    readError: readOpenAIError,
  });

  return {
    specificationVersion: "v1",

    async doGenerate(target, request, signal) {
      const { body, warnings } = convertToOpenAIRequest(request, { stream: false });
      const url = endpoints.chatCompletionsUrl(target, request.model);
      const answer = await postJson(url, body, callOptions(target, signal));
      return parseOpenAIChatResponse(answer, describeTarget(target, url), warnings);
    },

    async doStream(target, request, signal) {
      const { body, warnings } = convertToOpenAIRequest(request, { stream: true });
      const url = endpoints.chatCompletionsUrl(target, request.model);
      const options = callOptions(target, signal);
      // postStream asks for text/event-stream by default.
      const upstream = await postStream(url, body, options);
      const where = describeTarget(target, url, options.secrets);
      const stream = await readOpenAIChatStream(
        readSseEvents(upstream.body, { where, secrets: options.secrets }),
        { where, secrets: options.secrets, cancel: upstream.cancel, started: upstream.started },
      );
      return { warnings, id: stream.id, parts: stream.parts };
    },

    async doEmbed(
      target: ProviderTarget,
      request: EmbeddingsRequest,
      signal?: CancelSignal,
    ): Promise<EmbeddingsResult> {
      const url = endpoints.embeddingsUrl(target, request.model);
      const answer = await postJson(
        url,
        convertToOpenAIEmbeddingsRequest(request),
        callOptions(target, signal),
      );
      return parseOpenAIEmbeddingsResponse(answer, describeTarget(target, url));
    },
  };
}
