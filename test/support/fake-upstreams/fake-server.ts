import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The shared core of the fake upstreams: a node:http server on 127.0.0.1 (random port) that records
 * every request, routes on method and path, and plays a failure mode in front of the routes. Each
 * wire format (openai.ts, anthropic.ts, ...) supplies its routes and its own error bodies, written
 * as the real API sends them; the chat adapters add their routes to the same lists.
 */

export type FakeMode =
  | "ok"
  /** The format's 401 (Gemini: its 400 API_KEY_INVALID), whatever key was sent. */
  | "unauthorized"
  /** Sleeps `slowMs` before answering (headers included), then answers as "ok". */
  | "slow"
  /** Sends 200 and its headers at once, then half a body, then stalls for `slowMs`. */
  | "slow_body"
  /** 200 with an HTML page instead of JSON. */
  | "garbage"
  /** 200 with JSON of the wrong shape for the route. */
  | "wrong_shape"
  /** The format's 500. */
  | "server_error"
  /** The format's 429, with its retry hint. */
  | "rate_limited"
  /**
   * 200 with the stream's content type and its headers at once, then no event: only SSE keep-alive
   * comments every 50 ms (nothing on NDJSON) for `slowMs`, then the socket is destroyed.
   */
  | "stalled_stream"
  /** Answers as "ok", but keeps the body open after it (SSE keep-alive comments) for `slowMs`. */
  | "open_after_answer";

export interface FakeUpstreamOptions {
  /** When set, requests must carry this key (the format's way), or get the format's auth error. */
  apiKey?: string;
  mode?: FakeMode;
  /** Model ids the listing returns. */
  models?: string[];
  /** How long "slow" sleeps; default 5000 ms. */
  slowMs?: number;
  /** Echo the whole key sent in the auth error, as some compatible servers do (OpenAI masks it). */
  echoKey?: boolean;
  /** Caps the page size of listings that page (Anthropic, Google), to exercise paging. */
  pageSize?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client's port: two requests on one keep-alive connection share it. */
  remotePort: number | undefined;
  /** Set when the connection closed before the answer was fully written (the client went away). */
  closedEarly?: boolean;
}

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

export interface FakeContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: string;
  options: Readonly<FakeUpstreamOptions>;
  models: readonly string[];
  /** Waits `ms` (cut short by close()); streaming routes pace their chunks with it. */
  sleep(ms: number): Promise<void>;
}

export interface FakeRoute {
  method: string;
  path: string | RegExp;
  handle(ctx: FakeContext): void | Promise<void>;
  /** The "wrong_shape" answer for this route; default `{"unexpected": true}`. */
  wrongShape?: unknown;
}

/** What a wire format tells the core: its routes, its auth rule and its error answers. */
export interface FakeWireFormat {
  routes: FakeRoute[];
  /** Whether the request carries options.apiKey the format's way; "missing" when it carries none. */
  authenticate(ctx: FakeContext, apiKey: string): "ok" | "missing" | "invalid";
  unauthorized(ctx: FakeContext, reason: "missing" | "invalid"): void;
  rateLimited(ctx: FakeContext): void;
  serverError(ctx: FakeContext): void;
  notFound(ctx: FakeContext): void;
}

export const DEFAULT_MODELS: readonly string[] = ["model-a", "model-b"];

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = "text/plain; charset=utf-8",
): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** The value of a header sent once. */
export function header(ctx: FakeContext, name: string): string | undefined {
  const value = ctx.req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `sk-abc***xyz`: the first six and last three characters, as OpenAI's 401 shows a key. */
export function maskKey(key: string): string {
  return key.length <= 9 ? "***" : `${key.slice(0, 6)}***${key.slice(-3)}`;
}

const GARBAGE = `<!DOCTYPE html>
<html><head><title>Welcome</title></head>
<body><h1>It works!</h1><p>This is not the API you are looking for.</p></body></html>`;

export async function startFakeServer(
  format: FakeWireFormat,
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  let mode: FakeMode = options.mode ?? "ok";
  const models = options.models ?? DEFAULT_MODELS;
  const sleeping = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleeping.add(wake);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "/";
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      headers: req.headers,
      body,
      remotePort: req.socket.remotePort,
    };
    requests.push(record);
    res.once("close", () => {
      if (!res.writableFinished) record.closedEarly = true;
    });
    const ctx: FakeContext = { req, res, url: new URL(path, "http://fake"), body, options, models, sleep };

    const route = format.routes.find(
      (r) =>
        r.method === req.method &&
        (typeof r.path === "string" ? r.path === ctx.url.pathname : r.path.test(ctx.url.pathname)),
    );
    if (route === undefined) return format.notFound(ctx);

    if (mode === "slow") {
      await sleep(options.slowMs ?? 5000);
      if (res.destroyed) return;
    }
    if (mode === "unauthorized") return format.unauthorized(ctx, "invalid");
    if (options.apiKey !== undefined) {
      const auth = format.authenticate(ctx, options.apiKey);
      if (auth !== "ok") return format.unauthorized(ctx, auth);
    }
    switch (mode) {
      case "rate_limited":
        return format.rateLimited(ctx);
      case "server_error":
        return format.serverError(ctx);
      case "slow_body":
        res.writeHead(200, { "content-type": "application/json", "content-length": "64" });
        res.write('{"data":[{"id":"half-');
        await sleep(options.slowMs ?? 5000);
        return void res.destroy();
      case "stalled_stream": {
        const ndjson = ctx.url.pathname.endsWith("/api/chat");
        res.writeHead(200, { "content-type": ndjson ? "application/x-ndjson" : "text/event-stream" });
        res.flushHeaders();
        const keepAlive = ndjson ? undefined : setInterval(() => res.write(": keep-alive\n\n"), 50);
        await sleep(options.slowMs ?? 5000);
        clearInterval(keepAlive);
        return void res.destroy();
      }
      case "open_after_answer": {
        // The route writes its whole answer; only the end of the body is held back.
        const end = res.end.bind(res);
        res.end = ((chunk?: unknown) => {
          if (typeof chunk === "string" || chunk instanceof Uint8Array) res.write(chunk);
          const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 50);
          void sleep(options.slowMs ?? 5000).then(() => {
            clearInterval(keepAlive);
            end();
          });
          return res;
        }) as typeof res.end;
        return route.handle(ctx);
      }
      case "garbage":
        return sendText(res, 200, GARBAGE, "text/html; charset=utf-8");
      case "wrong_shape":
        return sendJson(res, 200, route.wrongShape ?? { unexpected: true });
      case "ok":
      case "slow":
        return route.handle(ctx);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, `fake upstream failed: ${String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setMode(next) {
      mode = next;
    },
    async close() {
      for (const wake of [...sleeping]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
