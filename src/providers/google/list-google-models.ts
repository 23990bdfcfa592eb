import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { startDeadline } from "../deadline.js";
import { expectShape } from "../expect-shape.js";
import { describeTarget, getJson, joinUrl } from "../http.js";
import { MAX_LISTING_PAGES, positiveInteger } from "../read-model-fields.js";
import { secretsOf } from "../request-headers.js";
import type { ModelInfo, ProviderTarget } from "../spec.js";
import { readGoogleError } from "./google-error.js";
import { googleHeaders } from "./google-headers.js";
import type { CancelSignal } from "../cancel-signal.js";

/** Gemini's largest page. */
const PAGE_SIZE = 1000;

const GoogleModelPage = Compile(
  Type.Object({
    // An account with no models answers `{}`.
    models: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ minLength: 1 }),
          inputTokenLimit: Type.Optional(Type.Unknown()),
        }),
      ),
    ),
    nextPageToken: Type.Optional(Type.String()),
  }),
);

/**
 * `GET {base}/v1beta/models?pageSize=1000[&pageToken=...]` -> `{models: [{name: "models/gemini-...",
 * inputTokenLimit, outputTokenLimit, supportedGenerationMethods, ...}], nextPageToken?}`, following
 * nextPageToken within the one budget. Ids lose the `models/` prefix; inputTokenLimit is the context
 * window.
 */
export async function listGoogleModels(target: ProviderTarget, signal?: CancelSignal): Promise<ModelInfo[]> {
  const deadline = startDeadline(target.timeoutMs);
  const headers = googleHeaders(target);
  const secrets = secretsOf(target);
  const models: ModelInfo[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_LISTING_PAGES; page++) {
    const url = joinUrl(target.baseUrl, "v1beta/models", { pageSize: PAGE_SIZE, pageToken });
    const where = describeTarget(target, url);
    const body = await getJson(url, {
      headers,
      timeoutMs: deadline.remainingMs(where),
      budgetMs: target.timeoutMs,
      signal,
      dispatcher: target.dispatcher,
      label: target.label,
      secrets,
      readError: readGoogleError,
    });
    const result = expectShape(GoogleModelPage, body, where);
    for (const model of result.models ?? []) {
      models.push({
        id: model.name.replace(/^models\//, ""),
        owned_by: "google",
        context_window: positiveInteger(model.inputTokenLimit),
      });
    }
    const next = result.nextPageToken || undefined;
    if (next === undefined || next === pageToken) break;
    pageToken = next;
  }
  return models;
}
