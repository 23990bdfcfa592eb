import { VERSION } from "../version.js";
import type { ProviderTarget } from "./spec.js";

const USER_AGENT = `switchyard/${VERSION}`;

/**
 * The headers of one upstream request: ours, then the connection's custom headers, then the wire
 * format's auth headers, which win (names compared case-insensitively, sent lower-case). A custom
 * header can still carry auth for an upstream whose key is not configured as the API key.
 */
export function requestHeaders(
  target: Pick<ProviderTarget, "headers">,
  auth: Record<string, string | undefined>,
): Record<string, string> {
  const headers: Record<string, string> = { "user-agent": USER_AGENT };
  for (const [name, value] of Object.entries(target.headers ?? {})) headers[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(auth)) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

const SECRET_HEADER_NAME = /auth|key|token|secret|cookie|session|password|credential/i;

/** Whether a header by this name may carry a credential (its value is treated as a secret). */
export function isSecretHeaderName(name: string): boolean {
  return SECRET_HEADER_NAME.test(name);
}

/** What must never appear in a message about this target: the key and secret-looking header values. */
export function secretsOf(target: Pick<ProviderTarget, "apiKey" | "headers">): string[] {
  const secrets: string[] = [];
  if (target.apiKey) secrets.push(target.apiKey);
  for (const [name, value] of Object.entries(target.headers ?? {})) {
    if (isSecretHeaderName(name) && value) {
      secrets.push(value);
      // `Bearer abc` also leaks as `abc`.
      const credentials = value.replace(/^\S+\s+/, "");
      if (credentials !== value && credentials.length > 0) secrets.push(credentials);
    }
  }
  return secrets;
}
