import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { expectShape } from "../expect-shape.js";
import { describeTarget, getJson, joinUrl } from "../http.js";
import { optionalString, positiveInteger } from "../read-model-fields.js";
import { secretsOf } from "../request-headers.js";
import type { ModelInfo, ProviderTarget } from "../spec.js";
import { openaiHeaders } from "./openai-headers.js";
import type { CancelSignal } from "../cancel-signal.js";

/**
 * `GET {base}/models` -> `{object: "list", data: [{id, object: "model", created, owned_by}]}`.
 * Compatible servers add a context size under several names (OpenRouter and Together
 * `context_length`, vLLM `max_model_len`); the first one present becomes context_window.
 */
const OpenAIModelList = Compile(
  Type.Object({
    data: Type.Array(
      Type.Object({
        id: Type.String({ minLength: 1 }),
        owned_by: Type.Optional(Type.Unknown()),
        context_window: Type.Optional(Type.Unknown()),
        context_length: Type.Optional(Type.Unknown()),
        max_model_len: Type.Optional(Type.Unknown()),
      }),
    ),
  }),
);

export async function listOpenAIModels(target: ProviderTarget, signal?: CancelSignal): Promise<ModelInfo[]> {
  const url = joinUrl(target.baseUrl, "models");
  const body = await getJson(url, {
    headers: openaiHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets: secretsOf(target),
  });
  const list = expectShape(OpenAIModelList, body, describeTarget(target, url));
  return list.data.map((model) => ({
    id: model.id,
    owned_by: optionalString(model.owned_by),
    context_window: positiveInteger(model.context_window, model.context_length, model.max_model_len),
  }));
}
