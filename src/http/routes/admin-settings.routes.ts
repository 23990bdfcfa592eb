import { Type } from "typebox";
import {
  PutSettingBody,
  SettingKeyParam,
  SettingList,
  SettingView,
} from "../../domain/settings/settings.schemas.js";
import type { SettingsService } from "../../domain/settings/settings.service.js";
import type { HttpApp } from "../http-app.js";
import type { RequestAuthenticator } from "../plugins/authenticate.js";
import { problemResponses } from "../problem.schema.js";

export interface AdminSettingsRoutesDeps {
  settings: Pick<SettingsService, "list" | "set" | "reset">;
  authenticate: RequestAuthenticator;
}

const common = { tags: ["admin"], security: [{ bearer: [] }] };
const KeyParams = Type.Object({ key: SettingKeyParam }, { additionalProperties: false });

/** The typed settings registry over HTTP: every key with its value, default and description. */
export async function adminSettingsRoutes(app: HttpApp, deps: AdminSettingsRoutesDeps): Promise<void> {
  app.get(
    "/api/admin/settings",
    {
      schema: {
        ...common,
        summary: "Every setting with its value in effect, default and description",
        response: { 200: SettingList, ...problemResponses(401, 403) },
      },
    },
    async (request) => deps.settings.list(await deps.authenticate(request)),
  );

  app.put(
    "/api/admin/settings/:key",
    {
      schema: {
        ...common,
        summary: "Set one setting",
        description:
          "An unknown key is 404; a value of the wrong type or out of range is 422 naming what is expected.",
        params: KeyParams,
        body: PutSettingBody,
        response: { 200: SettingView, ...problemResponses(401, 403, 404, 422) },
      },
    },
    async (request) =>
      deps.settings.set(await deps.authenticate(request), request.params.key, request.body.value),
  );

  app.delete(
    "/api/admin/settings/:key",
    {
      schema: {
        ...common,
        summary: "Reset one setting to its default",
        params: KeyParams,
        response: { 200: SettingView, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => deps.settings.reset(await deps.authenticate(request), request.params.key),
  );
}
