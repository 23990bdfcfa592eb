import { shownBaseUrl } from "./base-url-userinfo.js";
import type { ConnectionRecord } from "./connections.repo.js";
import type { ConnectionView } from "./connections.schemas.js";
import { hideSecretHeaderValues } from "./hidden-header-values.js";

/**
 * What callers see of a connection: never the key or its ciphertext, only whether there is one, and
 * never the value of a custom header that may carry a credential. A caller who may use the
 * connection but not change it (`canManage` false: a system connection for a non-admin, an org's for
 * a plain member) gets its usage view: where it points (base_url, config), how it authenticates
 * (api_key_hint, api_key_ref) and its last error, which names the upstream's host, are null. Those
 * are the managers', to set and to debug; a user needs none of them to call the connection.
 */
export function toConnectionView(c: ConnectionRecord, canManage: boolean): ConnectionView {
  return {
    id: c.id,
    scope: c.scope,
    user_id: c.userId,
    org_id: c.orgId,
    name: c.name,
    provider_type: c.providerType,
    base_url: canManage ? shownBaseUrl(c.providerType, c.baseUrl) : null,
    model: c.model,
    has_api_key: c.apiKeyEncrypted !== null || c.apiKeyRef !== null,
    api_key_hint: canManage ? c.apiKeyHint : null,
    api_key_ref: canManage ? c.apiKeyRef : null,
    config: !canManage
      ? null
      : c.config?.headers === undefined
        ? c.config
        : { ...c.config, headers: hideSecretHeaderValues(c.config.headers) },
    timeout_seconds: c.timeoutSeconds,
    context_window: c.contextWindow,
    is_default: c.isDefault,
    is_enabled: c.isEnabled,
    health_status: c.healthStatus,
    last_tested_at: c.lastTestedAt?.toISOString() ?? null,
    last_error: canManage ? c.lastError : null,
    can_manage: canManage,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
