import { EventEmitter } from "node:events";
import { request, type Dispatcher } from "undici";
import { ProviderError, sanitizeUpstreamText, type ProviderErrorKind } from "./errors.js";
import type { CancelSignal } from "./cancel-signal.js";
import { DONE } from "./iteration-done.js";
import type { ProviderTarget } from "./spec.js";

/**
 * Upstream HTTP for every adapter: undici on the dispatcher the target carries (the SSRF guard),
 * one budget per call (a timer joined with the caller's signal), bodies always consumed
 * or destroyed so keep-alive sockets go back to the pool, and every failure turned into a
 * ProviderError whose message is sanitized.
 */

/** What a wire format reads out of an error body; each field overrides the status-based default. */
export interface UpstreamErrorReading {
  message?: string;
  kind?: ProviderErrorKind;
  retryAfterSeconds?: number;
  /** Overrides the kind's default (OpenAI's 429 `insufficient_quota` is not worth a retry). */
  isRetryable?: boolean;
}

export type ReadUpstreamError = (status: number, body: unknown) => UpstreamErrorReading;

export interface UpstreamCallOptions {
  headers: Record<string, string>;
  /**
   * The budget for this request: connect, headers and body (postStream: connect, headers and the
   * wait for the first event, until `started()`).
   */
  timeoutMs: number;
  /** The whole call's budget when this request is one of several (a paged listing), for messages. */
  budgetMs?: number;
  /** The caller's cancellation; an abort rejects with its reason, not a ProviderError. */
  signal?: CancelSignal;
  dispatcher: Dispatcher;
  /** Strings to redact from anything the upstream says back (the API key, secret header values). */
  secrets: readonly string[];
  /** Names the upstream in messages in place of the URL's host/path: the target's label (spec.ts). */
  label?: string;
  /** A 2xx body larger than this is bad_response. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Reads a wire format's error body; default readGenericUpstreamError. */
  readError?: ReadUpstreamError;
}

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Enough of an error body to find its message; the rest is discarded unread. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** GET a URL and return its JSON body, unvalidated (see expect-shape.ts). */
export function getJson(url: string | URL, options: UpstreamCallOptions): Promise<unknown> {
  return requestJson("GET", url, undefined, options);
}

/**
 * POST `body` as JSON and return the JSON answer, unvalidated (see expect-shape.ts). The same budget,
 * cancellation and error mapping as getJson: a non-2xx answer is a ProviderError read by
 * `options.readError` (kind from the status, status and Retry-After kept), a caller's abort rejects
 * with the signal's reason.
 */
export async function postJson(
  url: string | URL,
  body: unknown,
  options: UpstreamCallOptions,
): Promise<unknown> {
  return requestJson("POST", url, JSON.stringify(body), options);
}

/** postStream's options: UpstreamCallOptions, where `timeoutMs` is the time to the first event. */
export type UpstreamStreamOptions = UpstreamCallOptions & {
  /** The Accept header; default `text/event-stream`. */
  accept?: string;
  /**
   * The longest wait for the next chunk once the body flows (time the reader spends applying
   * backpressure does not count); default 60 s. A ProviderError `timeout`. Kept by undici's coarse
   * timers, so it may fire up to about a second late.
   */
  idleTimeoutMs?: number;
};

/** An upstream answer that succeeded and whose body is still flowing. */
export interface UpstreamStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The raw bytes as they arrive (no decoding, no buffering). Iterate it to the end, or break out of
   * the loop, or call cancel(): each of these releases the socket. It throws ProviderError `timeout`
   * when the upstream falls silent for idleTimeoutMs, ProviderError `unreachable` when the
   * connection breaks, and the caller's abort reason when options.signal aborts.
   */
  body: AsyncIterable<Uint8Array>;
  /** Destroys the body and the connection (the upstream sees it close); safe to call twice. */
  cancel(): void;
  /**
   * The first event has come: from here only the idle timeout bounds the body. Until then the
   * call's `timeoutMs` still runs, so an upstream that answers 200 and then says nothing (or only
   * keep-alive comments, or a byte at a time) fails within the connection's timeout, while it can
   * still be retried, instead of holding the caller for the idle timeout or for good.
   */
  started(): void;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * POST `body` as JSON and resolve once the upstream answers 2xx, with its body still unread: for
 * SSE and NDJSON (see sse.ts). Everything before the answer is mapped exactly as in postJson, so a
 * 401, 429 or 5xx is a ProviderError the caller can still retry or answer as JSON. `timeoutMs`
 * covers connect, headers and the wait for the first event (the caller says when it came:
 * `started()`), so a long generation is never cut; between chunks, `idleTimeoutMs` applies. The
 * caller must consume the body or cancel it.
 */
export async function postStream(
  url: string | URL,
  body: unknown,
  options: UpstreamStreamOptions,
): Promise<UpstreamStream> {
  const payload = JSON.stringify(body); // a body that cannot be sent is the caller's error, thrown as it is
  const where = options.label ?? describeUrl(url, options.secrets);
  const call = startCall(options, where);
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: "POST",
      // Ours last: what the body is and what the reader parses are not a connection's to change.
      headers: {
        ...options.headers,
        accept: options.accept ?? "text/event-stream",
        "content-type": "application/json",
      },
      body: payload,
      dispatcher: options.dispatcher,
      signal: call.signal,
      // undici's own timer between body chunks, already refreshed per chunk and paused while the
      // reader applies backpressure: the idle timeout at no cost per chunk.
      bodyTimeout: idleMs,
    });
  } catch (error) {
    call.release();
    throw call.failure(error);
  }

  const { statusCode, headers } = response;
  const upstream = response.body;
  if (statusCode < 200 || statusCode > 299) {
    try {
      throw await readHttpFailure(statusCode, headers, upstream, where, options);
    } finally {
      call.release();
      if (!upstream.destroyed) upstream.destroy();
    }
  }
  // The budget keeps running until the caller has its first event (started()): a 200 alone is not
  // an answer. A timeout then aborts the call, which fails the body's read with the timeout.
  const stream = new UpstreamBody(
    upstream,
    () => call.release(),
    (error) => streamFailure(error, call, where, idleMs),
  );
  return {
    status: statusCode,
    headers,
    body: stream,
    cancel: () => stream.cancel(),
    started: () => call.stopTimer(),
  };
}

async function requestJson(
  method: "GET" | "POST",
  url: string | URL,
  payload: string | undefined,
  options: UpstreamCallOptions,
): Promise<unknown> {
  const where = options.label ?? describeUrl(url, options.secrets);
  const call = startCall(options, where);
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method,
        headers:
          payload === undefined
            ? { ...options.headers, accept: "application/json" }
            : { ...options.headers, accept: "application/json", "content-type": "application/json" },
        body: payload,
        dispatcher: options.dispatcher,
        signal: call.signal,
      });
    } catch (error) {
      throw call.failure(error);
    }

    const { statusCode, headers, body } = response;
    try {
      if (statusCode < 200 || statusCode > 299) {
        throw await readHttpFailure(statusCode, headers, body, where, options);
      }

      const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      let read: { text: string; truncated: boolean };
      try {
        read = await readCapped(body, maxBytes);
      } catch (error) {
        throw call.failure(error);
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
  } finally {
    call.release();
  }
}

/**
 * The cancellation undici watches for one call. undici takes an EventEmitter with `aborted` and
 * `reason` as well as an AbortSignal (its types say so); an AbortController with a listener costs
 * about 10 µs per call, this about 0.3 µs, and every proxied request pays it.
 */
class CallAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit("abort");
  }
}

/**
 * One call's cancellation: the caller's signal joined by a listener (AbortSignal.any costs more, and
 * keeps its sources' listeners) and the budget as a timer that can be stopped once the answer has
 * come, which AbortSignal.timeout cannot.
 */
interface CallControl {
  signal: CallAbort;
  /** Stops the budget's timer (a stream's body is not bound by it). */
  stopTimer(): void;
  /** Stops the timer and lets go of the caller's signal; the call is over. */
  release(): void;
  /** What a failure of this call throws: see callFailure. */
  failure(error: unknown): unknown;
}

function startCall(options: UpstreamCallOptions, where: string): CallControl {
  const signal = new CallAbort();
  const caller = options.signal;
  const budgetMs = options.budgetMs ?? options.timeoutMs;
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
    timedOut = true;
    signal.abort(new ProviderError("timeout", `${where} did not answer within ${budgetMs} ms`));
  }, options.timeoutMs);
  const onAbort = () => signal.abort(caller?.reason);
  if (caller?.aborted) signal.abort(caller.reason);
  else caller?.addEventListener("abort", onAbort, { once: true });

  const stopTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal,
    stopTimer,
    release() {
      stopTimer();
      caller?.removeEventListener("abort", onAbort);
    },
    failure: (error) =>
      callFailure(error, {
        where,
        labelled: options.label !== undefined,
        timeoutMs: budgetMs,
        timedOut: () => timedOut,
        caller,
      }),
  };
}

/**
 * postStream's body: undici's chunks as they come, a read error mapped (streamFailure), the call
 * released once the body ends, fails or is given up. Written out rather than as an async generator
 * over the body: with a generator between undici's Readable and its reader, each stream's objects
 * (undici's request, handler and body, and ours) stayed alive across two scavenges and were promoted
 * to the old generation: 3.5 KB per stream through the generator, 0.7 KB through this (measured in
 * one process, bench/README.md). Promoted garbage is what the major GCs then spend their time on.
 */
class UpstreamBody implements AsyncIterableIterator<Uint8Array> {
  private readonly chunks: AsyncIterator<unknown>;
  private cancelled = false;

  constructor(
    private readonly upstream: Dispatcher.ResponseData["body"],
    private readonly release: () => void,
    private readonly failure: (error: unknown) => unknown,
  ) {
    this.chunks = upstream[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.cancelled) return Promise.resolve(DONE);
    return this.chunks.next().then(
      (result): IteratorResult<Uint8Array> => {
        if (result.done === true || this.cancelled) return this.end();
        return result as IteratorYieldResult<Uint8Array>;
      },
      (error: unknown) => {
        // Our own cancel() destroys the body, which fails the read: that is an end, not a failure.
        if (this.cancelled) return DONE;
        const failure = this.failure(error);
        this.cancel();
        throw failure;
      },
    );
  }

  /** The reader stopped early (break, a parse error): the body is destroyed and the call released. */
  return(): Promise<IteratorResult<Uint8Array>> {
    return Promise.resolve(this.end());
  }

  /** Destroys the body and the connection (the upstream sees it close); safe to call twice. */
  cancel(): void {
    this.cancelled = true;
    this.release();
    if (!this.upstream.destroyed) {
      // Destroying a body nobody reads yet makes undici emit 'error' with no listener, which would
      // crash the process; ours is the cancel, so that error means nothing.
      this.upstream.on("error", () => {});
      this.upstream.destroy();
    }
  }

  private end(): IteratorReturnResult<undefined> {
    this.cancel();
    return DONE;
  }
}

/** A failure once the body flows: a broken connection is said to break mid-answer, not to be unreachable. */
function streamFailure(error: unknown, call: CallControl, where: string, idleMs: number): unknown {
  if (errorCode(error) === "UND_ERR_BODY_TIMEOUT") {
    return new ProviderError("timeout", `${where} sent nothing for ${idleMs} ms`, { cause: error });
  }
  const mapped = call.failure(error);
  if (mapped instanceof ProviderError && mapped !== error && mapped.kind === "unreachable") {
    return new ProviderError("unreachable", `the connection to ${where} broke mid-answer`, { cause: error });
  }
  return mapped;
}

/** A non-2xx answer as a ProviderError; reads at most MAX_ERROR_BODY_BYTES of its body. */
async function readHttpFailure(
  status: number,
  headers: Dispatcher.ResponseData["headers"],
  body: Dispatcher.ResponseData["body"],
  where: string,
  options: UpstreamCallOptions,
): Promise<ProviderError> {
  let text = "";
  try {
    text = (await readCapped(body, MAX_ERROR_BODY_BYTES)).text;
  } catch {
    // The status says enough; a body that cannot be read adds nothing.
  }
  return httpFailure(status, headers, text, where, options);
}

/**
 * `{base}{path}` with the base's own path kept (`https://x/v1` + `/models` -> `https://x/v1/models`)
 * and the query parameters set (undefined ones skipped), as a string (undici parses it once more).
 */
export function joinUrl(
  baseUrl: string,
  path: string,
  query: Record<string, string | number | undefined> = {},
): string {
  // Every proxied call joins the same base and path: without a query (and without userinfo, which
  // may hold a password and is not kept here) the answer is remembered, so repeats cost no URL parse.
  const cacheable = !baseUrl.includes("@") && Object.values(query).every((value) => value === undefined);
  const key = `${baseUrl}\n${path}`;
  if (cacheable) {
    const hit = joined.get(key);
    if (hit !== undefined) return hit;
  }
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const href = url.href;
  if (cacheable) remember(joined, key, href);
  return href;
}

const joined = new Map<string, string>();
/** Bounds each of this file's small caches: past it, one is emptied and refilled by what is in use. */
const MAX_REMEMBERED = 512;

function remember(cache: Map<string, string>, key: string, value: string): void {
  if (cache.size >= MAX_REMEMBERED) cache.clear();
  cache.set(key, value);
}

/** Recent describeUrl answers: every call describes its URL up front, and sanitizing is regex work. */
const described = new Map<string, string>();

const containsSecret = (text: string, secrets: readonly string[]) =>
  secrets.some(
    (secret) => secret.length > 0 && (text.includes(secret) || text.includes(encodeURIComponent(secret))),
  );

/**
 * How messages name a target's upstream: its label when it has one (a caller who may not change the
 * connection is not to learn where it points), else describeUrl's host/path.
 */
export function describeTarget(
  target: Pick<ProviderTarget, "label">,
  url: string | URL,
  secrets: readonly string[] = [],
): string {
  return target.label ?? describeUrl(url, secrets);
}

/** host[:port]/path, for messages: no userinfo, no query (Google's `key=` must never show). */
export function describeUrl(url: string | URL, secrets: readonly string[] = []): string {
  // A URL string with no userinfo, query or secret says nothing its description does not, so it is
  // the cache key itself and a repeat (every call of a connection) costs no parse; any other URL is
  // kept by its description's text.
  const plain =
    typeof url === "string" && !/[@?#]/.test(url) && !containsSecret(url, secrets) ? url : undefined;
  if (plain !== undefined) {
    const hit = described.get(plain);
    if (hit !== undefined) return hit;
  }
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    return "the upstream";
  }
  const text = `${parsed.host}${parsed.pathname}`;
  // A URL that contains a secret is sanitized afresh and not kept; without one, the secrets change
  // nothing, so the answer is cached (and no secret is held here).
  if (containsSecret(text, secrets)) return sanitizeUpstreamText(text, secrets);
  const key = plain ?? text;
  let description = plain === undefined ? described.get(text) : undefined;
  if (description === undefined) {
    description = sanitizeUpstreamText(text, []);
    remember(described, key, description);
  }
  return description;
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
    isRetryable: reading.isRetryable,
  });
}

/**
 * Retry-After (seconds or an HTTP date) or OpenAI's retry-after-ms, in whole seconds; a past date is
 * 0 (ProviderError bounds what is too long). Anything else, `-5` included, is no hint: Date.parse
 * would read a bare number as a year.
 */
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
  if (!/^[A-Za-z]{3}/.test(value)) return undefined; // an HTTP date starts with its day's name
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
  context: {
    where: string;
    /** `where` is a label: the SSRF guard's refusal, which names the host and address, is reworded. */
    labelled: boolean;
    timeoutMs: number;
    timedOut: () => boolean;
    caller: CancelSignal | undefined;
  },
): unknown {
  if (error instanceof ProviderError && error.kind === "blocked_address" && context.labelled) {
    return new ProviderError(
      "blocked_address",
      `refused to connect to ${context.where}: its address is not allowed for this connection`,
      { cause: error },
    );
  }
  if (error instanceof ProviderError) return error; // the SSRF guard's refusal or our timeout, as it is
  if (context.caller?.aborted) return context.caller.reason;
  if (context.timedOut()) {
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
