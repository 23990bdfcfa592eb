import { shownBaseUrl } from "./base-url-userinfo.js";
import type { ConnectionRecord } from "./connections.repo.js";
import type { ConnectionView } from "./connections.schemas.js";
import { hideSecretHeaderValues } from "./hidden-header-values.js";

/**
 * What callers see of a connection: never the key or its ciphertext, only whether there is one, and
 * never the value of a custom header that may carry a credential.
 */
export function toConnectionView(c: ConnectionRecord): ConnectionView {
  return {
    id: c.id,
    scope: c.scope,
    user_id: c.userId,
    org_id: c.orgId,
    name: c.name,
    provider_type: c.providerType,
    base_url: shownBaseUrl(c.providerType, c.baseUrl),
    model: c.model,
    has_api_key: c.apiKeyEncrypted !== null || c.apiKeyRef !== null,
    api_key_hint: c.apiKeyHint,
    api_key_ref: c.apiKeyRef,
    config:
      c.config?.headers === undefined
        ? c.config
        : { ...c.config, headers: hideSecretHeaderValues(c.config.headers) },
    timeout_seconds: c.timeoutSeconds,
    context_window: c.contextWindow,
    is_default: c.isDefault,
    is_enabled: c.isEnabled,
    health_status: c.healthStatus,
    last_tested_at: c.lastTestedAt?.toISOString() ?? null,
    last_error: c.lastError,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
