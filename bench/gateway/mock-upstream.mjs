// A mock OpenAI-compatible upstream for the gateway benchmark: as little CPU per request as possible.
// POST .../chat/completions answers a fixed chat.completion JSON, or with "stream": true a fixed
// sequence of server-sent events (a role chunk, 5 content chunks, a finish chunk, a usage chunk and
// [DONE]) written at once. GET .../models lists the one model. Listens on 127.0.0.1 only.
//
// Run as a script: `node mock-upstream.mjs [port]` prints `LISTENING <port>` on stdout once ready.
import http from "node:http";
import { pathToFileURL } from "node:url";

export const MODEL = "bench-model";
export const CONTENT_PIECES = ["Hello", " from", " the", " bench", " mock."];
export const CONTENT = CONTENT_PIECES.join("");

const created = 1_700_000_000;
const usage = {
  prompt_tokens: 12,
  completion_tokens: CONTENT_PIECES.length,
  total_tokens: 12 + CONTENT_PIECES.length,
};

const completionBody = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created,
    model: MODEL,
    choices: [{ index: 0, message: { role: "assistant", content: CONTENT }, finish_reason: "stop" }],
    usage,
  }),
);

const chunk = (choices, extra = {}) =>
  `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created, model: MODEL, choices, ...extra })}\n\n`;

export const streamBody = Buffer.from(
  [
    chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
    ...CONTENT_PIECES.map((piece) => chunk([{ index: 0, delta: { content: piece }, finish_reason: null }])),
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
    chunk([], { usage }),
    "data: [DONE]\n\n",
  ].join(""),
);

const modelsBody = Buffer.from(
  JSON.stringify({ object: "list", data: [{ id: MODEL, object: "model", created, owned_by: "bench" }] }),
);

const STREAM_TRUE = /"stream"\s*:\s*true/;

function handle(req, res) {
  if (req.method === "GET" && req.url.endsWith("/models")) {
    res.writeHead(200, { "content-type": "application/json", "content-length": modelsBody.length });
    res.end(modelsBody);
    return;
  }
  if (req.method !== "POST" || !req.url.includes("/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (part) => (body += part));
  req.on("end", () => {
    if (STREAM_TRUE.test(body)) {
      // Chunked, as real upstreams stream; everything is written at once.
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(streamBody);
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json", "content-length": completionBody.length });
      res.end(completionBody);
    }
  });
}

/** Starts the mock on 127.0.0.1; port 0 picks a free one. */
export function startMockUpstream(port = 0) {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve({ server, port: server.address().port }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { port } = await startMockUpstream(Number(process.argv[2] ?? 0));
  process.stdout.write(`LISTENING ${port}\n`);
  // Exit with the parent (the bench), even if it died without cleaning up.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && process.exit(0), 1000).unref();
  process.on("SIGTERM", () => process.exit(0));
  process.on("SIGINT", () => process.exit(0));
}
