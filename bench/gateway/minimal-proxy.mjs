// The floor for a Node gateway: an http server that reads and parses the JSON body, forwards it over
// an undici Pool to the upstream, and pipes the answer back. No auth, no lookup, no accounting.
// Listens on 127.0.0.1 only.
//
// Run as a script: `node minimal-proxy.mjs <upstream origin> [port]` prints `LISTENING <port>`.
import http from "node:http";
import { pipeline } from "node:stream";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";

/** Starts the proxy in front of `upstream` (an origin such as http://127.0.0.1:1234). */
export function startMinimalProxy(upstream, port = 0) {
  const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 60_000 });

  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const parts = [];
    req.on("data", (part) => parts.push(part));
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(parts).toString("utf8"));
      } catch {
        res.writeHead(400, { "content-type": "application/json" });
        res.end('{"error":{"message":"invalid JSON body","type":"invalid_request_error"}}');
        return;
      }
      pool.request(
        {
          method: "POST",
          path: req.url,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        (error, upstreamRes) => {
          if (error) {
            res.writeHead(502, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: { message: String(error.message), type: "upstream_error" } }));
            return;
          }
          const headers = { "content-type": upstreamRes.headers["content-type"] ?? "application/json" };
          res.writeHead(upstreamRes.statusCode, headers);
          pipeline(upstreamRes.body, res, () => {});
        },
      );
    });
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        server,
        pool,
        port: server.address().port,
        close: () => Promise.all([pool.close(), new Promise((r) => server.close(r))]),
      }),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const upstream = process.argv[2];
  if (!upstream) {
    console.error("usage: node minimal-proxy.mjs <upstream origin> [port]");
    process.exit(2);
  }
  const { port } = await startMinimalProxy(upstream, Number(process.argv[3] ?? 0));
  process.stdout.write(`LISTENING ${port}\n`);
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && process.exit(0), 1000).unref();
  process.on("SIGTERM", () => process.exit(0));
  process.on("SIGINT", () => process.exit(0));
}
