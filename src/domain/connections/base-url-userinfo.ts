import { effectiveBaseUrl, type ProviderType } from "./provider-types.js";

/**
 * Userinfo (`user:password@`) in a connection's base URL. It is refused on the way in: undici drops
 * it, so it authenticates nothing, and it would be shown to everyone who can list the connection.
 * Rows stored before that rule are shown with it masked.
 *
 * Read off the text as WHATWG parsers (undici's, Node's) read http(s) URLs, rather than off a parsed
 * URL: a stored URL may not parse, and the mask must still apply to it. Slashes and backslashes
 * after `://` are skipped, the authority ends at the next `/`, `\`, `?` or `#`, and its userinfo
 * ends at the last `@` in it.
 */

const MASK = "***";

function userinfoSpan(url: string): { start: number; at: number } | undefined {
  const scheme = url.indexOf("://");
  if (scheme < 0) return undefined;
  let start = scheme + 3;
  while (url[start] === "/" || url[start] === "\\") start++;
  const length = url.slice(start).search(/[/?#\\]/);
  const end = length < 0 ? url.length : start + length;
  const at = url.lastIndexOf("@", end - 1);
  return at >= start ? { start, at } : undefined;
}

/** Whether the URL's authority carries userinfo (even an empty `http://@host`). */
export function hasUserinfo(url: string): boolean {
  if (userinfoSpan(url) !== undefined) return true;
  // The parser's own reading too: a URL it finds userinfo in is refused even if the scan misread it,
  // so what is stored from now on is what the mask covers.
  try {
    const parsed = new URL(url);
    return parsed.username !== "" || parsed.password !== "";
  } catch {
    return false;
  }
}

/** The URL with any userinfo replaced by `***`, for showing: `http://***@host/v1`. */
export function maskUserinfo(url: string): string {
  const found = userinfoSpan(url);
  return found ? `${url.slice(0, found.start)}${MASK}${url.slice(found.at)}` : url;
}

/**
 * The base URL as views show it (the type's default when none is stored), masked: a row stored
 * before userinfo was refused may still carry a password in it.
 */
export function shownBaseUrl(type: ProviderType, stored: string | null): string | null {
  const url = effectiveBaseUrl(type, stored);
  return url === undefined ? null : maskUserinfo(url);
}
