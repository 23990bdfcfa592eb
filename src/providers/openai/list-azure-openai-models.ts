import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { expectShape } from "../expect-shape.js";
import { describeTarget, getJson, joinUrl } from "../http.js";
import { optionalString } from "../read-model-fields.js";
import { secretsOf } from "../request-headers.js";
import type { ModelInfo, ProviderTarget } from "../spec.js";
import { azureOpenAIHeaders } from "./azure-openai-headers.js";
import type { CancelSignal } from "../cancel-signal.js";

/** The GA data-plane version used when a connection names none. */
export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

const AzureModelList = Compile(
  Type.Object({
    data: Type.Array(
      Type.Object({ id: Type.String({ minLength: 1 }), owned_by: Type.Optional(Type.Unknown()) }),
    ),
  }),
);

/**
 * `GET {base}/openai/models?api-version=...` with `api-key` (base is the resource endpoint,
 * `https://<resource>.openai.azure.com`; a base already ending in `/openai` is not doubled). The
 * listing names base models, not deployments, and a call goes to a deployment: when the connection
 * names one, the listing still runs (it proves the key and the endpoint) and the deployment is the
 * one model returned.
 */
export async function listAzureOpenAIModels(
  target: ProviderTarget,
  signal?: CancelSignal,
): Promise<ModelInfo[]> {
  const path = /\/openai\/*$/.test(new URL(target.baseUrl).pathname) ? "models" : "openai/models";
  const url = joinUrl(target.baseUrl, path, {
    "api-version": target.azure?.apiVersion || AZURE_DEFAULT_API_VERSION,
  });
  const body = await getJson(url, {
    headers: azureOpenAIHeaders(target),
    timeoutMs: target.timeoutMs,
    signal,
    dispatcher: target.dispatcher,
    label: target.label,
    secrets: secretsOf(target),
  });
  const list = expectShape(AzureModelList, body, describeTarget(target, url));
  const deployment = target.azure?.deployment;
  if (deployment) return [{ id: deployment, owned_by: "azure" }];
  return list.data.map((model) => ({ id: model.id, owned_by: optionalString(model.owned_by) }));
}
