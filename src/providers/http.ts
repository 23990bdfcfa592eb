import { request, type Dispatcher } from "undici";
import { ProviderError, sanitizeUpstreamText, type ProviderErrorKind } from "./errors.js";

/**
 * Upstream HTTP for every adapter: undici on the dispatcher the target carries (the SSRF guard),
 * one budget per call (AbortSignal.timeout joined with the caller's signal), bodies always consumed
 * or destroyed so keep-alive sockets go back to the pool, and every failure turned into a
 * ProviderError whose message is sanitized.
 */

/** What a wire format reads out of an error body; each field overrides the status-based default. */
export interface UpstreamErrorReading {
  message?: string;
  kind?: ProviderErrorKind;
  retryAfterSeconds?: number;
}

export type ReadUpstreamError = (status: number, body: unknown) => UpstreamErrorReading;

export interface UpstreamCallOptions {
  headers: Record<string, string>;
  /** The budget for this request: connect, headers and body. */
  timeoutMs: number;
  /** The whole call's budget when this request is one of several (a paged listing), for messages. */
  budgetMs?: number;
  /** The caller's cancellation; an abort rejects with its reason, not a ProviderError. */
  signal?: AbortSignal;
  dispatcher: Dispatcher;
  /** Strings to redact from anything the upstream says back (the API key, secret header values). */
  secrets: readonly string[];
  /** A 2xx body larger than this is bad_response. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Reads a wire format's error body; default readGenericUpstreamError. */
  readError?: ReadUpstreamError;
}

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Enough of an error body to find its message; the rest is discarded unread. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** GET a URL and return its JSON body, unvalidated (see expect-shape.ts). */
export async function getJson(url: string | URL, options: UpstreamCallOptions): Promise<unknown> {
  const where = describeUrl(url, options.secrets);
  const timeoutSignal = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal;
  const failure = (error: unknown) =>
    callFailure(error, {
      where,
      timeoutMs: options.budgetMs ?? options.timeoutMs,
      timeoutSignal,
      caller: options.signal,
    });

  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: "GET",
      headers: { accept: "application/json", ...options.headers },
      dispatcher: options.dispatcher,
      signal,
    });
  } catch (error) {
    throw failure(error);
  }

  const { statusCode, headers, body } = response;
  try {
    if (statusCode < 200 || statusCode > 299) {
      let text = "";
      try {
        text = (await readCapped(body, MAX_ERROR_BODY_BYTES)).text;
      } catch {
        // The status says enough; a body that cannot be read adds nothing.
      }
      throw httpFailure(statusCode, headers, text, where, options);
    }

    const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    let read: { text: string; truncated: boolean };
    try {
      read = await readCapped(body, maxBytes);
    } catch (error) {
      throw failure(error);
    }
    if (read.truncated) {
      throw new ProviderError("bad_response", `${where} answered with more than ${maxBytes} bytes`, {
        status: statusCode,
      });
    }
    try {
      return JSON.parse(read.text) as unknown;
    } catch {
      const excerpt = sanitizeUpstreamText(read.text, options.secrets);
      throw new ProviderError(
        "bad_response",
        `${where} answered HTTP ${statusCode} with a body that is not JSON${excerpt ? `: ${excerpt}` : " (empty)"}`,
        { status: statusCode },
      );
    }
  } finally {
    // Fully read bodies are already closed; anything else must not hold the socket.
    if (!body.destroyed) body.destroy();
  }
}

/**
 * `{base}{path}` with the base's own path kept (`https://x/v1` + `/models` -> `https://x/v1/models`)
 * and the query parameters set (undefined ones skipped).
 */
export function joinUrl(
  baseUrl: string,
  path: string,
  query: Record<string, string | number | undefined> = {},
): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}

/** host[:port]/path, for messages: no userinfo, no query (Google's `key=` must never show). */
export function describeUrl(url: string | URL, secrets: readonly string[] = []): string {
  try {
    const parsed = typeof url === "string" ? new URL(url) : url;
    return sanitizeUpstreamText(`${parsed.host}${parsed.pathname}`, secrets);
  } catch {
    return "the upstream";
  }
}

/**
 * The message and retry hint in the error bodies the major APIs send: `{error: {message}}` (OpenAI,
 * Azure, Anthropic, Google), `{error: "..."}` (Ollama), `{message}` or `{detail}` (many proxies).
 */
export function readGenericUpstreamError(_status: number, body: unknown): UpstreamErrorReading {
  if (!isRecord(body)) return {};
  const error = body.error;
  if (typeof error === "string") return { message: error };
  if (isRecord(error) && typeof error.message === "string") return { message: error.message };
  if (typeof body.message === "string") return { message: body.message };
  if (typeof body.detail === "string") return { message: body.detail };
  return {};
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function httpFailure(
  status: number,
  headers: Dispatcher.ResponseData["headers"],
  text: string,
  where: string,
  options: UpstreamCallOptions,
): ProviderError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    parsed = undefined;
  }
  const reading = (options.readError ?? readGenericUpstreamError)(status, parsed);
  const kind: ProviderErrorKind =
    reading.kind ??
    (status === 401 || status === 403
      ? "auth"
      : status === 429
        ? "rate_limited"
        : status < 400
          ? "bad_response" // a redirect: redirects are not followed, the base URL is not the API
          : "upstream_error");
  const excerpt = sanitizeUpstreamText(reading.message ?? text, options.secrets);
  return new ProviderError(kind, `${where} answered HTTP ${status}${excerpt ? `: ${excerpt}` : ""}`, {
    status,
    retryAfterSeconds: reading.retryAfterSeconds ?? retryAfterSeconds(headers),
  });
}

/** Retry-After (seconds or an HTTP date) or OpenAI's retry-after-ms, in whole seconds. */
export function retryAfterSeconds(headers: Dispatcher.ResponseData["headers"]): number | undefined {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const ms = Number(header("retry-after-ms"));
  if (header("retry-after-ms") !== undefined && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const value = header("retry-after")?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** TLS failures do not heal on a retry: the certificate or the name is wrong. */
const PERMANENT_CONNECT_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "UND_ERR_INVALID_ARG",
]);

function callFailure(
  error: unknown,
  context: { where: string; timeoutMs: number; timeoutSignal: AbortSignal; caller: AbortSignal | undefined },
): unknown {
  if (error instanceof ProviderError) return error; // the SSRF guard's refusal, as it is
  if (context.caller?.aborted) return context.caller.reason;
  if (context.timeoutSignal.aborted) {
    return new ProviderError("timeout", `${context.where} did not answer within ${context.timeoutMs} ms`, {
      cause: error,
    });
  }
  const code = errorCode(error);
  if (code === "UND_ERR_CONNECT_TIMEOUT") {
    return new ProviderError("timeout", `connecting to ${context.where} timed out`, { cause: error });
  }
  return new ProviderError(
    "unreachable",
    `could not reach ${context.where}${code === undefined ? "" : ` (${code})`}`,
    { cause: error, isRetryable: code === undefined || !PERMANENT_CONNECT_CODES.has(code) },
  );
}

/** The code of a network error; undici wraps some (a socket error's cause carries the errno). */
function errorCode(error: unknown): string | undefined {
  let fallback: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string") {
      if (code !== "UND_ERR_SOCKET") return code;
      fallback ??= code;
    }
    current = current.cause;
  }
  return fallback;
}

async function readCapped(
  body: Dispatcher.ResponseData["body"],
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size + buffer.length > maxBytes) {
      chunks.push(buffer.subarray(0, maxBytes - size));
      truncated = true;
      break; // leaving the loop destroys the stream
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated };
}
