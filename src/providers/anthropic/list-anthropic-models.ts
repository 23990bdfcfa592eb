import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { startDeadline } from "../deadline.js";
import { expectShape } from "../expect-shape.js";
import { describeTarget, getJson, joinUrl } from "../http.js";
import { MAX_LISTING_PAGES } from "../read-model-fields.js";
import { secretsOf } from "../request-headers.js";
import type { ModelInfo, ProviderTarget } from "../spec.js";
import { anthropicHeaders } from "./anthropic-headers.js";
import type { CancelSignal } from "../cancel-signal.js";

/** Anthropic's largest page. */
const PAGE_LIMIT = 1000;

const AnthropicModelPage = Compile(
  Type.Object({
    data: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }) })),
    has_more: Type.Optional(Type.Boolean()),
    last_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
);

/**
 * `GET {base}/v1/models?limit=1000[&after_id=...]` -> `{data: [{type: "model", id, display_name,
 * created_at}], has_more, first_id, last_id}`, following has_more/last_id within the one budget.
 */
export async function listAnthropicModels(
  target: ProviderTarget,
  signal?: CancelSignal,
): Promise<ModelInfo[]> {
  const deadline = startDeadline(target.timeoutMs);
  const headers = anthropicHeaders(target);
  const secrets = secretsOf(target);
  const models: ModelInfo[] = [];
  let afterId: string | undefined;
  for (let page = 0; page < MAX_LISTING_PAGES; page++) {
    const url = joinUrl(target.baseUrl, "v1/models", { limit: PAGE_LIMIT, after_id: afterId });
    const where = describeTarget(target, url);
    const body = await getJson(url, {
      headers,
      timeoutMs: deadline.remainingMs(where),
      budgetMs: target.timeoutMs,
      signal,
      dispatcher: target.dispatcher,
      label: target.label,
      secrets,
    });
    const result = expectShape(AnthropicModelPage, body, where);
    for (const model of result.data) models.push({ id: model.id, owned_by: "anthropic" });
    const next = result.last_id ?? undefined;
    if (result.has_more !== true || next === undefined || next === afterId) break;
    afterId = next;
  }
  return models;
}
