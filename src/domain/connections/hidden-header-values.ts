import { isSecretHeaderName } from "../../providers/request-headers.js";

/**
 * What views show for a custom header that may carry a credential (`X-Auth-Token`,
 * `Ocp-Apim-Subscription-Key`, `Proxy-Authorization`): never its value. Such headers are the way to
 * authenticate to an upstream whose credential is not the provider's own key header, so they are
 * kept, but a system connection's config is visible to every user, and an org's to every member.
 */
export const HIDDEN_HEADER_VALUE = "[hidden]";

/** The headers as views show them: values of credential-like names replaced by HIDDEN_HEADER_VALUE. */
export function hideSecretHeaderValues(
  headers: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      isSecretHeaderName(name) ? HIDDEN_HEADER_VALUE : value,
    ]),
  );
}

/**
 * The headers of an update, with every hidden value sent back as it was shown replaced by the value
 * stored under that name: a client that saves the config it read must not overwrite the credential
 * with the placeholder.
 */
export function restoreHiddenHeaderValues(
  sent: Readonly<Record<string, string>>,
  stored: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const storedByName = new Map(
    Object.entries(stored ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return Object.fromEntries(
    Object.entries(sent).map(([name, value]) => {
      const kept = value === HIDDEN_HEADER_VALUE ? storedByName.get(name.toLowerCase()) : undefined;
      return [name, kept ?? value];
    }),
  );
}
