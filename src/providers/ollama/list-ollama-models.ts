import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { ProviderError } from "../errors.js";
import { expectShape } from "../expect-shape.js";
import { describeTarget, getJson, joinUrl } from "../http.js";
import { secretsOf } from "../request-headers.js";
import type { ModelInfo, ProviderTarget } from "../spec.js";
import { ollamaHeaders } from "./ollama-headers.js";
import type { CancelSignal } from "../cancel-signal.js";

const OllamaTags = Compile(
  Type.Object({
    models: Type.Array(
      Type.Object({
        name: Type.Optional(Type.String({ minLength: 1 })),
        model: Type.Optional(Type.String({ minLength: 1 })),
      }),
    ),
  }),
);

/**
 * `GET {base}/api/tags` -> `{models: [{name, model, modified_at, size, digest, details}]}`: the
 * models pulled locally. Their context size needs one `/api/show` per model, which a cheap check
 * does not spend, so context_window stays unset.
 */
export async function listOllamaModels(target: ProviderTarget, signal?: CancelSignal): Promise<ModelInfo[]> {
  const url = joinUrl(target.baseUrl, "api/tags");
  const body = await getJson(url, {
    headers: ollamaHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets: secretsOf(target),
  });
  const where = describeTarget(target, url);
  const tags = expectShape(OllamaTags, body, where);
  return tags.models.map((entry, index) => {
    const id = entry.name ?? entry.model;
    if (id === undefined) {
      throw new ProviderError(
        "bad_response",
        `${where} answered with an unexpected shape: /models/${index} has no name`,
      );
    }
    return { id };
  });
}
