/** A `data:` URL's payload as base64, whatever encoding the URL used. */
export interface DataUrlPayload {
  /** `image/png`; `text/plain` when the URL names none (RFC 2397's default). */
  mediaType: string;
  base64: string;
}

/**
 * `data:[<media type>][;base64],<data>` -> its media type and base64 payload; undefined for anything
 * that is not a well-formed data: URL. A percent-encoded payload is decoded and re-encoded.
 */
export function parseDataUrl(url: string): DataUrlPayload | undefined {
  const match = /^data:([^,]*),(.*)$/is.exec(url);
  if (match === null) return undefined;
  const meta = match[1]!.split(";").map((p) => p.trim());
  const payload = match[2]!;
  const isBase64 = meta.slice(1).some((p) => p.toLowerCase() === "base64");
  const mediaType = meta[0] ? meta[0].toLowerCase() : "text/plain";
  if (isBase64) {
    const compact = payload.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
    return { mediaType, base64: compact };
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(decodeURIComponent(payload), "utf8");
  } catch {
    return undefined;
  }
  return { mediaType, base64: bytes.toString("base64") };
}
