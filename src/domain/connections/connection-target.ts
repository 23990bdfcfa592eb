import type { ProviderDispatchers } from "../../providers/dispatchers.js";
import type { ProviderTarget } from "../../providers/spec.js";
import { SecretDecryptionError } from "../../secrets/envelope.js";
import type { SettingsService } from "../settings/settings.service.js";
import type { ConnectionRecord } from "./connections.repo.js";
import { firstUnsendableHeader } from "./custom-headers.js";
import { effectiveBaseUrl } from "./provider-types.js";

/** Why a connection cannot be called at all, in words safe to show and store. */
export class ConnectionNotCallable extends Error {
  override readonly name = "ConnectionNotCallable";
}

export interface ConnectionTargetDeps {
  connectionKey(connection: ConnectionRecord): Promise<string | undefined>;
  /** The custom headers as sent, credential-like values decrypted; the same object for the same row. */
  connectionHeaders(connection: ConnectionRecord): Record<string, string> | undefined;
  dispatchers: Pick<ProviderDispatchers, "forPolicy">;
  settings: Pick<SettingsService, "get">;
}

/**
 * Header sets already found sendable. Rows are cached (resolution keeps them per user) and
 * connectionHeaders answers one object per row, so each set is checked once, not on every call;
 * rows written since the write-time check always pass, and the check is for rows stored before it,
 * which would otherwise fail as "could not reach …".
 */
const sendableHeaders = new WeakSet<object>();

/**
 * What an adapter needs to call a connection's upstream: base URL, decrypted key, timeout, headers,
 * and the SSRF-guarded dispatcher for its policy (system connections are an admin's own choice of
 * target; user and org ones follow the allow-private setting). Callers pass only connections the
 * acting user may use, and a `label` (connection-label.ts) when that user may not change it, so
 * upstream errors name the connection instead of where it points.
 */
export async function connectionTarget(
  deps: ConnectionTargetDeps,
  c: ConnectionRecord,
  label?: string,
): Promise<ProviderTarget> {
  const baseUrl = effectiveBaseUrl(c.providerType, c.baseUrl);
  if (!baseUrl)
    throw new ConnectionNotCallable(`the connection has no base_url, which ${c.providerType} requires`);
  let headers: Record<string, string> | undefined;
  try {
    headers = deps.connectionHeaders(c);
  } catch (error) {
    if (error instanceof SecretDecryptionError) {
      throw new ConnectionNotCallable(
        "the stored values of its custom headers cannot be decrypted (was the master key replaced without rotating?)",
      );
    }
    throw error;
  }
  if (headers !== undefined && !sendableHeaders.has(headers)) {
    const issue = firstUnsendableHeader(headers);
    if (issue) {
      throw new ConnectionNotCallable(
        `the connection's custom headers cannot be sent (${issue.field} ${issue.message}): change its config.headers`,
      );
    }
    sendableHeaders.add(headers);
  }
  let apiKey: string | undefined;
  try {
    apiKey = await deps.connectionKey(c);
  } catch (error) {
    if (error instanceof SecretDecryptionError) {
      throw new ConnectionNotCallable(
        "the stored key cannot be decrypted (was the master key replaced without rotating?)",
      );
    }
    throw error;
  }
  const allowPrivate =
    c.scope === "system" || (await deps.settings.get("connections.allow_private_base_urls"));
  return {
    providerType: c.providerType,
    baseUrl,
    apiKey,
    timeoutMs: c.timeoutSeconds * 1000,
    headers,
    organization: c.config?.organization,
    azure: c.config?.api_version
      ? { apiVersion: c.config.api_version, deployment: c.config.deployment }
      : undefined,
    dispatcher: deps.dispatchers.forPolicy({ allowPrivate }),
    label,
  };
}
