// Gateway benchmark: `npm run bench:gateway` (builds first). See bench/README.md.
//
// Starts a mock OpenAI-compatible upstream, a minimal Node proxy, Switchyard (dist/, a temp SQLite,
// set up over its own HTTP API) and Portkey (@portkey-ai/gateway, bound to 127.0.0.1), then loads
// each with autocannon: JSON and streaming chat completions, 1 and 50 connections. Also measures the
// time to the first streamed byte with sequential undici requests and samples the servers' RSS.
// Every answer is checked (status and body); the run fails if any target answered anything else.
//
// Environment: BENCH_SECONDS (per measured run, default 5), BENCH_WARMUP_SECONDS (default 1),
// BENCH_TTFC_N (sequential streaming requests per target for the first-chunk time, default 200),
// BENCH_CONNECTIONS (the loaded scenario, default 50), BENCH_TIMEOUT_SECONDS (hard limit for the
// whole run; default from the others), BENCH_LOG_DIR, BENCH_CPU_PROF, BENCH_BASELINE (a second
// checkout measured in the same rounds: an A/B of two builds), BENCH_BASELINE_ENV (settings for the
// baseline only: an A/B of a setting). Only 127.0.0.1 is used.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { Client } from "undici";
import { CONTENT, CONTENT_PIECES, MODEL } from "./mock-upstream.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Settings

function fromEnv(name, fallback, min, max, integer = false) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(
      `${name}: expected ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got "${raw}"`,
    );
  }
  return n;
}

const SECONDS = fromEnv("BENCH_SECONDS", 5, 1, 120);
const WARMUP_SECONDS = fromEnv("BENCH_WARMUP_SECONDS", 1, 0, 30);
const TTFC_N = fromEnv("BENCH_TTFC_N", 200, 10, 5000, true);
const HIGH = fromEnv("BENCH_CONNECTIONS", 50, 2, 1000, true);
const ROUNDS = fromEnv("BENCH_ROUNDS", 1, 1, 20, true);
const WARMUP_CONNECTIONS = 10;
const PAUSE_MS = 300;
const ALL_TARGETS = ["direct", "minimal", "switchyard", "portkey"];
// BENCH_TARGETS=minimal,switchyard runs only those (the mock directly is always measured, since every
// "added" figure is relative to it): a quicker loop while working on one of them.
const SELECTED = new Set(
  (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(","))
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean)
    .concat("direct"),
);
for (const name of SELECTED) {
  if (!ALL_TARGETS.includes(name))
    throw new Error(`BENCH_TARGETS: unknown target "${name}" (known: ${ALL_TARGETS.join(", ")})`);
}
// BENCH_BASELINE=<checkout>: a second Switchyard, built from another checkout (its dist/ must be
// built), measured in the same rounds as this one: an interleaved A/B of two builds, with every
// round's CPU per request of each listed in the report.
const BASELINE_ROOT = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined;
if (BASELINE_ROOT && !fs.existsSync(path.join(BASELINE_ROOT, "dist/cli/main.js")))
  throw new Error(
    `BENCH_BASELINE: ${BASELINE_ROOT}/dist/cli/main.js is missing (run npm ci and npm run build there)`,
  );
if (BASELINE_ROOT && !SELECTED.has("switchyard"))
  throw new Error(
    "BENCH_BASELINE compares with this checkout's Switchyard: keep switchyard in BENCH_TARGETS",
  );
// BENCH_BASELINE_ENV=NAME=VALUE[,NAME=VALUE...]: set in the baseline's environment only, so that
// BENCH_BASELINE=. compares a setting on the same build (e.g. SWITCHYARD_HEAP_TUNING=true).
const BASELINE_ENV = Object.fromEntries(
  (process.env.BENCH_BASELINE_ENV ?? "")
    .split(",")
    .map((pair) => pair.trim())
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0) throw new Error(`BENCH_BASELINE_ENV: "${pair}" is not NAME=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
);
if (Object.keys(BASELINE_ENV).length > 0 && !BASELINE_ROOT)
  throw new Error("BENCH_BASELINE_ENV applies to the baseline: set BENCH_BASELINE too");
const TARGET_COUNT = SELECTED.size + (BASELINE_ROOT ? 1 : 0);
// When set, every child's whole output is also written to <dir>/<name>.log; BENCH_CPU_PROF=<dir>
// runs Switchyard with --cpu-prof into that directory (written when it stops).
const LOG_DIR = process.env.BENCH_LOG_DIR ? path.resolve(process.env.BENCH_LOG_DIR) : undefined;
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
if (LOG_DIR) fs.mkdirSync(LOG_DIR, { recursive: true });
const estimatedSeconds =
  TARGET_COUNT * (4 * ROUNDS * (SECONDS + PAUSE_MS / 1000) + 2 * WARMUP_SECONDS) +
  TARGET_COUNT * TTFC_N * 0.03 +
  20;
const TIMEOUT_SECONDS = fromEnv(
  "BENCH_TIMEOUT_SECONDS",
  Math.ceil(Math.max(240, estimatedSeconds * 2)),
  30,
  3600,
);

const SCENARIOS = [
  { key: "json-1", label: "JSON, 1 conn", stream: false, connections: 1 },
  { key: "stream-1", label: "stream, 1 conn", stream: true, connections: 1 },
  { key: `json-${HIGH}`, label: `JSON, ${HIGH} conns`, stream: false, connections: HIGH },
  { key: `stream-${HIGH}`, label: `stream, ${HIGH} conns`, stream: true, connections: HIGH },
];

const PORTKEY_BROKEN = ":new Response(p,e)}";
const PORTKEY_FIXED =
  ":new Response(p,{status:e.status,statusText:e.statusText,headers:new Headers(e.headers)})}";

const requestBody = (stream) =>
  JSON.stringify({
    model: MODEL,
    messages: [
      { role: "system", content: "You are a benchmark." },
      { role: "user", content: "Say hello." },
    ],
    ...(stream ? { stream: true } : {}),
  });
const JSON_BODY = requestBody(false);
const STREAM_BODY = requestBody(true);

// What a correct answer contains: the content (re-encoding gateways may change everything else).
const JSON_NEEDLE = JSON.stringify(CONTENT);
const STREAM_NEEDLES = CONTENT_PIECES.map((piece) => JSON.stringify(piece));

function verifyJson(body) {
  return body.includes(JSON_NEEDLE) && body.includes('"chat.completion"');
}
function verifyStream(body) {
  let at = 0;
  for (const needle of STREAM_NEEDLES) {
    at = body.indexOf(needle, at);
    if (at < 0) return false;
    at += needle.length;
  }
  return body.indexOf("data: [DONE]", at) >= 0;
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is killed on exit, on Ctrl-C, on errors and at the deadline.

const children = new Set();
const tempDirs = [];
let cleaningUp;

function startChild(name, args, options = {}) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  const entry = { name, child, output: "", exited: false, exit: undefined };
  entry.done = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      entry.exited = true;
      entry.exit = { code, signal };
      children.delete(entry);
      resolve();
    }),
  );
  child.once("error", (error) => {
    entry.output += `\n[spawn error] ${error.message}`;
  });
  // Lines that look like trouble: pino's warn (40) and above, grouped by message; from the peers,
  // anything mentioning an error.
  entry.problems = new Map();
  let partial = "";
  const logFile = LOG_DIR
    ? fs.createWriteStream(path.join(LOG_DIR, `${name.replace(/\W+/g, "-")}.log`))
    : undefined;
  const keep = (text) => {
    logFile?.write(text);
    entry.output = (entry.output + text).slice(-16_000);
    const lines = (partial + text).split("\n");
    partial = lines.pop().slice(-100_000);
    for (const line of lines) {
      let key;
      if (line.startsWith("{")) {
        try {
          const record = JSON.parse(line);
          if (record.level >= 40) {
            const err = record.err
              ? `: ${record.err.type ?? ""} ${String(record.err.message ?? "").slice(0, 200)}`
              : "";
            key = `level ${record.level} "${record.msg}"${err}${record.req?.url ? ` (${record.req.method} ${record.req.url})` : ""}`;
          }
        } catch {
          key = undefined;
        }
      } else if (/error|TypeError|warn/i.test(line) && !line.startsWith("[bench]")) {
        key = line.trim().slice(0, 300);
      }
      if (key !== undefined) entry.problems.set(key, (entry.problems.get(key) ?? 0) + 1);
    }
  };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);
  children.add(entry);
  return entry;
}

function waitForOutput(entry, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = entry.output.match(pattern);
      if (match) {
        finish();
        resolve(match);
      }
    };
    const onExit = () => {
      finish();
      reject(
        new Error(
          `${entry.name} exited (${JSON.stringify(entry.exit)}) before it was ready:\n${entry.output.slice(-3000)}`,
        ),
      );
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${entry.name} not ready within ${timeoutMs} ms:\n${entry.output.slice(-3000)}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      entry.child.stdout.off("data", check);
      entry.child.stderr.off("data", check);
      entry.child.off("exit", onExit);
    };
    entry.child.stdout.on("data", check);
    entry.child.stderr.on("data", check);
    entry.child.once("exit", onExit);
    check();
  });
}

async function stopChild(entry, graceMs = 5000) {
  if (entry.exited) return;
  entry.child.kill("SIGTERM");
  const timer = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
  await Promise.race([entry.done, timer(graceMs)]);
  if (!entry.exited) {
    entry.child.kill("SIGKILL");
    await Promise.race([entry.done, timer(2000)]);
  }
}

function cleanup() {
  cleaningUp ??= (async () => {
    await Promise.all([...children].map((entry) => stopChild(entry)));
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  })();
  return cleaningUp;
}

process.on("exit", () => {
  for (const entry of children) {
    try {
      entry.child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: the exit hook still kills the children
    interrupted = true;
    console.error(`\n${signal}: stopping the servers...`);
    cleanup().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  console.error(`\nThe run took longer than BENCH_TIMEOUT_SECONDS=${TIMEOUT_SECONDS}: stopping.`);
  cleanup().finally(() => process.exit(1));
}, TIMEOUT_SECONDS * 1000);
deadline.unref();

// ---------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (...args) => console.error(...args);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function httpJson(base, method, urlPath, body, token) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + urlPath, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text.slice(0, 600)}`);
  return text ? JSON.parse(text) : undefined;
}

async function waitForHttp(url, timeoutMs, entry) {
  const until = Date.now() + timeoutMs;
  let last;
  for (let attempt = 0; attempt < 1000 && Date.now() < until; attempt++) {
    if (entry?.exited) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error.message;
    }
    await sleep(100);
  }
  throw new Error(
    `${url} not ready within ${timeoutMs} ms (${last})${entry ? `:\n${entry.output.slice(-3000)}` : ""}`,
  );
}

function rssKb(pid) {
  try {
    const match = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the process has used (user + system, every thread: its GC helpers too), from
 * /proc/<pid>/stat; undefined where there is no /proc. Divided by the answers of a run, it is the
 * target's own cost per request, which moves far less than req/s when the machine is shared.
 */
const CLOCK_TICKS = 100; // USER_HZ, 100 on every Linux build this runs on
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces), counted from field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

function startRssSampler(pid) {
  let max = rssKb(pid) ?? 0;
  const timer = setInterval(() => {
    const kb = rssKb(pid);
    if (kb !== undefined && kb > max) max = kb;
  }, 100);
  return () => {
    clearInterval(timer);
    const kb = rssKb(pid);
    if (kb !== undefined && kb > max) max = kb;
    return max;
  };
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const signed = (n, digits = 2) => (Number.isFinite(n) ? `${n >= 0 ? "+" : ""}${n.toFixed(digits)}` : "n/a");

// ---------------------------------------------------------------------------------------------
// Measurements

/** One autocannon run; latencies are kept exactly (autocannon's own histogram has 1 ms steps). */
function load(target, stream, connections, seconds) {
  const latencies = [];
  const badBodies = [];
  const errorMessages = new Map();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.origin + target.path,
        method: "POST",
        headers: { ...target.headers, "content-type": "application/json" },
        body: stream ? STREAM_BODY : JSON_BODY,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        verifyBody: (body) => {
          const ok = stream ? verifyStream(body) : verifyJson(body);
          if (!ok && badBodies.length < 3) badBodies.push(body.slice(0, 400));
          return ok;
        },
      },
      (error, result) => {
        if (error) return reject(error);
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          ok: latencies.length,
          rps: latencies.length / result.duration,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          non2xx: result.non2xx,
          statusCodes: result.statusCodeStats,
          errors: result.errors,
          timeouts: result.timeouts,
          mismatches: result.mismatches,
          badBodies,
          errorMessages: [...errorMessages].map(([message, count]) => `${count}x ${message}`),
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
    instance.on("reqError", (error) => {
      const message = String(error?.message ?? error);
      errorMessages.set(message, (errorMessages.get(message) ?? 0) + 1);
    });
  });
}

/** Sequential streaming requests: time to the first body byte and to the first content delta. */
async function firstChunk(target, n) {
  const client = new Client(target.origin, {
    keepAliveTimeout: 30_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const firstByte = [];
  const firstContent = [];
  const failures = [];
  const until = Date.now() + 120_000;
  try {
    for (let i = 0; i < n && Date.now() < until; i++) {
      const t0 = performance.now();
      let tByte;
      let tContent;
      let text = "";
      let statusCode = 0;
      try {
        const res = await client.request({
          method: "POST",
          path: target.path,
          headers: { ...target.headers, "content-type": "application/json" },
          body: STREAM_BODY,
        });
        statusCode = res.statusCode;
        for await (const chunk of res.body) {
          const now = performance.now();
          tByte ??= now;
          text += chunk.toString("utf8");
          if (tContent === undefined && text.includes(STREAM_NEEDLES[0])) tContent = now;
        }
      } catch (error) {
        failures.push(`request ${i}: ${error.message}`);
        continue;
      }
      if (statusCode !== 200 || !verifyStream(text)) {
        failures.push(`request ${i}: ${statusCode} ${text.slice(0, 300)}`);
        continue;
      }
      firstByte.push(tByte - t0);
      firstContent.push(tContent - t0);
    }
  } finally {
    await client.close().catch(() => {});
  }
  const byte = Float64Array.from(firstByte).sort();
  const content = Float64Array.from(firstContent).sort();
  return {
    n: byte.length,
    firstByteP50: percentile(byte, 0.5),
    firstContentP50: percentile(content, 0.5),
    failures,
  };
}

/** One request of each kind, checked, before measuring: a target that errors is not benchmarked. */
async function sanityCheck(target) {
  for (const stream of [false, true]) {
    const res = await fetch(target.origin + target.path, {
      method: "POST",
      headers: { ...target.headers, "content-type": "application/json" },
      body: stream ? STREAM_BODY : JSON_BODY,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 200 || !(stream ? verifyStream(text) : verifyJson(text))) {
      throw new Error(
        `${target.label}: ${stream ? "streaming" : "JSON"} request answered ${res.status}: ${text.slice(0, 600)}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Servers

async function startMock() {
  const entry = startChild("mock upstream", [path.join(here, "mock-upstream.mjs"), "0"]);
  const [, port] = await waitForOutput(entry, /LISTENING (\d+)/, 10_000);
  return { entry, port: Number(port) };
}

async function startMinimalProxy(mockPort) {
  const entry = startChild("minimal proxy", [
    path.join(here, "minimal-proxy.mjs"),
    `http://127.0.0.1:${mockPort}`,
    "0",
  ]);
  const [, port] = await waitForOutput(entry, /LISTENING (\d+)/, 10_000);
  return { entry, port: Number(port) };
}

async function startSwitchyard(tmp, mockPort, fromRoot = root, name = "switchyard", extraEnv = {}) {
  const dataDir = path.join(tmp, name);
  fs.mkdirSync(dataDir, { recursive: true });
  const dbFile = path.join(dataDir, "bench.db");
  const port = await freePort();
  // The bench sets up its own instance; only the heap setting is taken from the caller's environment.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith("SWITCHYARD_") || name === "SWITCHYARD_HEAP_TUNING",
    ),
  );
  Object.assign(env, {
    SWITCHYARD_DATA_DIR: dataDir,
    SWITCHYARD_DATABASE_URL: `sqlite:${dbFile}`,
    SWITCHYARD_PORT: String(port),
    SWITCHYARD_HOST: "127.0.0.1",
    SWITCHYARD_LOG_LEVEL: "warn",
    SWITCHYARD_SHUTDOWN_TIMEOUT_MS: "3000",
    SWITCHYARD_MASTER_KEY: randomBytes(32).toString("base64"),
  });
  Object.assign(env, extraEnv);
  const profiling = CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  // The heap tuning's young-generation cap is a node flag (src/cli/tune-heap.ts): given here, as the
  // README tells a deployment to give it, so the bench measures the whole of the tuning.
  // Read by Switchyard's own config (this checkout's build), so the bench agrees with it on every spelling.
  const { loadConfig } = await import(pathToFileURL(path.join(root, "dist/config.js")).href);
  const { heapTuning } = loadConfig({ SWITCHYARD_HEAP_TUNING: env.SWITCHYARD_HEAP_TUNING });
  const entry = startChild(
    name,
    [
      ...(fromRoot === root ? profiling : []),
      ...(heapTuning ? ["--max-semi-space-size=8"] : []),
      "--import",
      pathToFileURL(path.join(here, "exit-with-parent.mjs")).href,
      path.join(fromRoot, "dist/cli/main.js"),
      "serve",
    ],
    { env, cwd: tmp },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/healthz`, 30_000, entry);

  // Set up over Switchyard's own API: admin, the loopback setting, a connection, an API key.
  const admin = await httpJson(base, "POST", "/api/auth/register", {
    email: "bench-admin@example.com",
    password: "bench password for the gateway",
  });
  const token = admin.access_token;
  await httpJson(
    base,
    "PUT",
    "/api/admin/settings/connections.allow_private_base_urls",
    { value: true },
    token,
  );
  const connection = await httpJson(
    base,
    "POST",
    "/api/llm-providers",
    {
      name: "mock",
      provider_type: "openai-compatible",
      base_url: `http://127.0.0.1:${mockPort}/v1`,
      api_key: "sk-bench",
      model: MODEL,
    },
    token,
  );
  const apiKey = await httpJson(base, "POST", "/api/users/me/api-keys", { name: "bench" }, token);
  if (typeof apiKey?.key !== "string")
    throw new Error(`POST /api/users/me/api-keys gave no key: ${JSON.stringify(apiKey)}`);
  return { entry, port, dbFile, key: apiKey.key, connectionId: connection?.id };
}

async function startPortkey(tmp) {
  const pkgDir = path.dirname(require.resolve("@portkey-ai/gateway/package.json"));
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
  // A copy that resolves its imports as the original does: <copy>/node_modules is the package's own
  // node_modules, and <tmp>/node_modules the project's.
  const copyDir = path.join(tmp, "portkey");
  fs.mkdirSync(path.join(copyDir, "build"), { recursive: true });
  fs.copyFileSync(path.join(pkgDir, "package.json"), path.join(copyDir, "package.json"));
  if (fs.existsSync(path.join(pkgDir, "node_modules")))
    fs.symlinkSync(path.join(pkgDir, "node_modules"), path.join(copyDir, "node_modules"), "dir");
  fs.symlinkSync(path.join(root, "node_modules"), path.join(tmp, "node_modules"), "dir");
  const source = fs.readFileSync(path.join(pkgDir, "build/start-server.js"), "utf8");
  const occurrences = source.split(PORTKEY_BROKEN).length - 1;
  const patched = occurrences === 1;
  fs.writeFileSync(
    path.join(copyDir, "build/start-server.js"),
    patched ? source.replace(PORTKEY_BROKEN, PORTKEY_FIXED) : source,
  );
  const firstChunkDelay = /setTimeout\(e,25\)/.test(source);

  const port = await freePort();
  const entry = startChild(
    "portkey",
    [
      "--import",
      pathToFileURL(path.join(here, "exit-with-parent.mjs")).href,
      "--import",
      pathToFileURL(path.join(here, "listen-loopback.mjs")).href,
      path.join(copyDir, "build/start-server.js"),
      `--port=${port}`,
      "--headless",
    ],
    { cwd: copyDir },
  );
  const [, address] = await waitForOutput(entry, /\[bench\] listening on ([^\s]+)/, 30_000);
  if (address !== `127.0.0.1:${port}`)
    throw new Error(`Portkey listens on ${address}, expected 127.0.0.1:${port}`);
  return { entry, port, version, patched, occurrences, firstChunkDelay };
}

// ---------------------------------------------------------------------------------------------
// Report

/** A checkout as `<short commit>` (with `+changes` when its tree differs), else its directory. */
function describeCheckout(dir) {
  try {
    const commit = execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["-C", dir, "status", "--porcelain", "--untracked-files=no"], {
      encoding: "utf8",
    }).trim();
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return path.basename(dir);
  }
}

function machineLine() {
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  return `${os.availableParallelism?.() ?? os.cpus().length} CPUs (nproc; ${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

function buildReport({ date, targets, results, runs, ttfc, rss, syRss, notes, usage, loadBefore }) {
  const lines = [];
  const get = (t, s) => results.get(`${t}:${s}`);
  lines.push(`# Gateway benchmark results`, "");
  lines.push(`- date: ${date}`);
  lines.push(`- machine: ${machineLine()}`);
  lines.push(
    `- load average before the run: ${loadBefore.map((n) => n.toFixed(2)).join(" / ")} (1/5/15 min; above 0 means something else was using the CPUs)`,
  );
  lines.push(
    `- load: autocannon (in the bench's own process, one thread), pipelining 1, ${SECONDS} s per run after a ${WARMUP_SECONDS} s warmup per mode at ${WARMUP_CONNECTIONS} conns${ROUNDS > 1 ? `; ${ROUNDS} rounds, each scenario on every target in turn (every other round in the opposite order), each row the round with the median req/s` : ""}; all servers on 127.0.0.1 of the same machine, so the load generator, the mock and the target share its CPUs`,
  );
  lines.push(
    `- first chunk: ${TTFC_N} sequential streaming requests per target (undici, one keep-alive connection), p50 time to the first body byte`,
  );
  for (const note of notes) lines.push(`- ${note}`);
  lines.push("");
  lines.push("| target | scenario | req/s | p50 ms | p99 ms | CPU µs/req | non-2xx | errors | bad body |");
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const t of targets) {
    for (const s of SCENARIOS) {
      const r = get(t.key, s.key);
      if (!r) {
        lines.push(`| ${t.label} | ${s.label} | not run | | | | | | |`);
        continue;
      }
      lines.push(
        `| ${t.label} | ${s.label} | ${fmtInt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmtInt(r.cpuPerRequestUs)} | ${r.non2xx} | ${r.errors} | ${r.mismatches} |`,
      );
    }
  }
  lines.push("");
  const direct = (s) => get("direct", s)?.p50;
  const directTtfc = ttfc.get("direct")?.firstByteP50;
  lines.push(
    `| target | added p50, JSON, 1 conn (ms) | added p50, stream, 1 conn (ms) | first chunk p50 (ms) | first chunk vs direct (ms) | max RSS at ${HIGH} conns (MB) |`,
  );
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const t of targets) {
    const j = get(t.key, "json-1")?.p50;
    const s = get(t.key, "stream-1")?.p50;
    const f = ttfc.get(t.key)?.firstByteP50;
    const m = rss.get(t.key);
    lines.push(
      `| ${t.label} | ${t.key === "direct" ? "—" : signed(j - direct("json-1"), 3)} | ${t.key === "direct" ? "—" : signed(s - direct("stream-1"), 3)} | ${fmt(f, 3)} | ${t.key === "direct" ? "—" : signed(f - directTtfc, 3)} | ${m ? fmt(m / 1024, 1) : "n/a"} |`,
    );
  }
  lines.push("");

  const pct = (a, b) =>
    Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${((100 * a) / b).toFixed(1)}%` : "n/a";
  const ratio = (a, b) =>
    Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}x` : "n/a";
  const rps = (t, s) => get(t, s)?.rps;
  lines.push("Switchyard:", "");
  lines.push(
    `- req/s as % of the minimal proxy: ${SCENARIOS.map((s) => `${s.label} ${pct(rps("switchyard", s.key), rps("minimal", s.key))}`).join("; ")}`,
  );
  const cpu = (t, k) => get(t, k)?.cpuPerRequestUs;
  lines.push(
    `- CPU per request (process-wide, µs) over the minimal proxy's: ${SCENARIOS.map((s) => `${s.label} ${fmtInt(cpu("switchyard", s.key))} / ${fmtInt(cpu("minimal", s.key))} = ${ratio(cpu("switchyard", s.key), cpu("minimal", s.key))}`).join("; ")}`,
  );
  lines.push(
    `- req/s / Portkey: ${SCENARIOS.map((s) => `${s.label} ${ratio(rps("switchyard", s.key), rps("portkey", s.key))}`).join("; ")}`,
  );
  lines.push(
    `- added p50 at 1 conn over direct: JSON ${signed(get("switchyard", "json-1")?.p50 - direct("json-1"), 3)} ms, stream ${signed(get("switchyard", "stream-1")?.p50 - direct("stream-1"), 3)} ms (minimal proxy: ${signed(get("minimal", "json-1")?.p50 - direct("json-1"), 3)} / ${signed(get("minimal", "stream-1")?.p50 - direct("stream-1"), 3)} ms)`,
  );
  lines.push(
    `- first-chunk delay vs direct: ${signed(ttfc.get("switchyard")?.firstByteP50 - directTtfc, 3)} ms (first content delta ${signed(ttfc.get("switchyard")?.firstContentP50 - ttfc.get("direct")?.firstContentP50, 3)} ms)`,
  );
  lines.push(
    `- max RSS during the ${HIGH}-connection runs: ${rss.get("switchyard") ? fmt(rss.get("switchyard") / 1024, 1) : "n/a"} MB (RSS in MB: ${syRss.join(", ")})`,
  );
  if (usage) lines.push(`- usage recording: ${usage}`);
  if (targets.some((t) => t.key === "baseline")) {
    const fine = (a, b) =>
      Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "n/a";
    // Every round of both, sorted: on a shared machine the spread says more than one median.
    const rounds = (t, s) =>
      (runs.get(`${t}:${s}`) ?? [])
        .map((r) => r.cpuPerRequestUs)
        .filter(Number.isFinite)
        .sort((a, b) => a - b)
        .map(fmtInt)
        .join(" ");
    lines.push(
      `- against the baseline, CPU µs/req of every round, sorted (baseline -> this build): ${SCENARIOS.map((s) => `${s.label} ${rounds("baseline", s.key)} -> ${rounds("switchyard", s.key)}`).join("; ")}`,
    );
    lines.push(
      `- against the baseline, the median rounds (this build / baseline): req/s ${SCENARIOS.map((s) => `${s.label} ${fine(rps("switchyard", s.key), rps("baseline", s.key))}`).join("; ")}; CPU per request ${SCENARIOS.map((s) => `${s.label} ${fine(cpu("switchyard", s.key), cpu("baseline", s.key))}`).join("; ")}`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now();
  const loadBefore = os.loadavg();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-bench-"));
  tempDirs.push(tmp);
  if (!fs.existsSync(path.join(root, "dist/cli/main.js")))
    throw new Error("dist/cli/main.js is missing: run `npm run build` first");

  log(
    `gateway bench: ${SECONDS} s per run, warmup ${WARMUP_SECONDS} s, ${TTFC_N} first-chunk requests per target, limit ${TIMEOUT_SECONDS} s`,
  );
  const mock = await startMock();
  log(`mock upstream on 127.0.0.1:${mock.port}`);
  const json = { "content-type": "application/json" };
  const targets = [
    {
      key: "direct",
      label: "direct (mock)",
      origin: `http://127.0.0.1:${mock.port}`,
      path: "/v1/chat/completions",
      headers: json,
      pid: mock.entry.child.pid,
    },
  ];
  const notes = [];
  const minimal = SELECTED.has("minimal") ? await startMinimalProxy(mock.port) : undefined;
  if (minimal) {
    log(`minimal proxy on 127.0.0.1:${minimal.port}`);
    targets.push({
      key: "minimal",
      label: "minimal Node proxy",
      origin: `http://127.0.0.1:${minimal.port}`,
      path: "/v1/chat/completions",
      headers: json,
      pid: minimal.entry.child.pid,
    });
  }
  const sy = SELECTED.has("switchyard") ? await startSwitchyard(tmp, mock.port) : undefined;
  if (sy) {
    log(`switchyard on 127.0.0.1:${sy.port} (pid ${sy.entry.child.pid}, SQLite ${sy.dbFile})`);
    targets.push({
      key: "switchyard",
      label: "Switchyard",
      origin: `http://127.0.0.1:${sy.port}`,
      path: "/v1/chat/completions",
      headers: { authorization: `Bearer ${sy.key}` },
      pid: sy.entry.child.pid,
    });
  }
  const baseline = BASELINE_ROOT
    ? await startSwitchyard(tmp, mock.port, BASELINE_ROOT, "switchyard-baseline", BASELINE_ENV)
    : undefined;
  if (baseline) {
    const settings = Object.entries(BASELINE_ENV).map(([name, value]) => `${name}=${value}`);
    const label = `Switchyard baseline (${describeCheckout(BASELINE_ROOT)}${settings.length > 0 ? `, ${settings.join(" ")}` : ""})`;
    log(`${label} on 127.0.0.1:${baseline.port} (pid ${baseline.entry.child.pid})`);
    notes.push(
      `${label}: ${BASELINE_ROOT}, measured in the same rounds as Switchyard (${describeCheckout(root)})`,
    );
    targets.push({
      key: "baseline",
      label,
      origin: `http://127.0.0.1:${baseline.port}`,
      path: "/v1/chat/completions",
      headers: { authorization: `Bearer ${baseline.key}` },
      pid: baseline.entry.child.pid,
    });
  }
  const pk = SELECTED.has("portkey") ? await startPortkey(tmp) : undefined;
  if (pk) {
    if (pk.patched) {
      const note = `Portkey ${pk.version}: its streaming bug (TypeError: immutable, Portkey-AI/gateway#1389, #1550) was fixed at run time in a temp copy of build/start-server.js (\`new Response(p,e)\` -> a Response with copied headers); the installed package is unchanged`;
      notes.push(note);
      log(note);
    } else {
      const note = `Portkey ${pk.version}: the streaming fix was NOT applied (the pattern occurs ${pk.occurrences} times, expected once); its streaming answers may fail`;
      notes.push(note);
      log(`WARNING: ${note}`);
    }
    if (pk.firstChunkDelay)
      notes.push(
        "Portkey waits a fixed 25 ms before its first streamed chunk (setTimeout in its streaming code): its first-chunk time shows it",
      );
    notes.push(
      "Portkey bound to 127.0.0.1 by a preloaded module (`node --import bench/gateway/listen-loopback.mjs`)",
    );
    log(`portkey on 127.0.0.1:${pk.port} (pid ${pk.entry.child.pid})`);
    targets.push({
      key: "portkey",
      label: `Portkey ${pk.version}`,
      origin: `http://127.0.0.1:${pk.port}`,
      path: "/v1/chat/completions",
      headers: {
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": `http://127.0.0.1:${mock.port}/v1`,
        authorization: "Bearer x",
      },
      pid: pk.entry.child.pid,
    });
  }
  if (SELECTED.size < ALL_TARGETS.length)
    notes.push(`only these targets were run: ${[...SELECTED].join(", ")}`);

  const results = new Map();
  const ttfc = new Map();
  const rss = new Map();
  // problems fail the run (a benchmark of error answers is worthless); warnings are only reported.
  const problems = [];
  const warnings = [];
  let switchyardOk = 0;
  // Switchyard's RSS when idle after setup and at the end of each run: growth that does not level
  // off would be a leak.
  const syRss = sy ? [`idle ${fmt(rssKb(sy.entry.child.pid) / 1024, 1)}`] : [];

  // Sanity check and warmup once per target; then the measured scenarios, in rounds that go through
  // every target (BENCH_ROUNDS), so a slow minute of a shared machine falls on all of them.
  const ready = [];
  for (const target of targets) {
    try {
      await sanityCheck(target);
    } catch (error) {
      problems.push(`${target.label} failed its first requests, not benchmarked: ${error.message}`);
      log(`SKIP ${target.label}: ${error.message}`);
      continue;
    }
    if (target.key === "switchyard") switchyardOk += 2;
    if (WARMUP_SECONDS > 0) {
      for (const stream of [false, true]) {
        const w = await load(target, stream, WARMUP_CONNECTIONS, WARMUP_SECONDS);
        if (target.key === "switchyard") switchyardOk += w.ok;
        if (w.non2xx || w.errors || w.mismatches) {
          problems.push(
            `${target.label} warmup (${stream ? "stream" : "JSON"}): ${w.non2xx} non-2xx, ${w.errors} errors, ${w.mismatches} bad bodies`,
          );
        }
      }
    }
    ready.push(target);
  }

  // Each scenario runs on every target in turn, so the runs compared are seconds apart, not a
  // target's whole round; every other round in the opposite order, so no target always goes first
  // (see "Measuring on a noisy machine" in bench/README.md).
  const runs = new Map();
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? ready : [...ready].reverse();
    for (const scenario of SCENARIOS) {
      for (const target of order) {
        await sleep(PAUSE_MS);
        const sample = scenario.connections === HIGH ? startRssSampler(target.pid) : undefined;
        const cpuBefore = cpuSeconds(target.pid);
        const r = await load(target, scenario.stream, scenario.connections, SECONDS);
        const cpuAfter = cpuSeconds(target.pid);
        const answers = r.ok + r.non2xx;
        r.cpuPerRequestUs =
          cpuBefore !== undefined && cpuAfter !== undefined && answers > 0
            ? ((cpuAfter - cpuBefore) * 1e6) / answers
            : undefined;
        if (sample) rss.set(target.key, Math.max(rss.get(target.key) ?? 0, sample()));
        const key = `${target.key}:${scenario.key}`;
        runs.set(key, [...(runs.get(key) ?? []), r]);
        if (target.key === "switchyard") {
          switchyardOk += r.ok;
          syRss.push(
            `after ${scenario.label}${ROUNDS > 1 ? ` (round ${round})` : ""} ${fmt(rssKb(target.pid) / 1024, 1)}`,
          );
        }
        log(
          `${ROUNDS > 1 ? `round ${round} ` : ""}${target.label.padEnd(20)} ${scenario.label.padEnd(16)} ${fmtInt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  CPU ${fmtInt(r.cpuPerRequestUs)} µs/req  non-2xx ${r.non2xx}  errors ${r.errors}  bad body ${r.mismatches}`,
        );
        if (r.non2xx || r.errors || r.mismatches) {
          problems.push(
            `${target.label} ${scenario.label}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors (${r.timeouts} timeouts) ${r.errorMessages.join("; ")}, ${r.mismatches} bad bodies${r.badBodies.length ? `, e.g. ${JSON.stringify(r.badBodies[0])}` : ""}`,
          );
        }
      }
    }
  }
  // Each row is the round with the median req/s, reported whole so its figures belong together.
  for (const [key, list] of runs) {
    const sorted = [...list].sort((a, b) => a.rps - b.rps);
    results.set(key, sorted[Math.floor((sorted.length - 1) / 2)]);
  }

  for (const target of targets) {
    if (![...results.keys()].some((k) => k.startsWith(`${target.key}:`))) continue;
    const f = await firstChunk(target, TTFC_N);
    ttfc.set(target.key, f);
    if (target.key === "switchyard") {
      switchyardOk += f.n;
      syRss.push(`after the first-chunk loop ${fmt(rssKb(target.pid) / 1024, 1)}`);
    }
    log(
      `${target.label.padEnd(20)} first chunk p50 ${fmt(f.firstByteP50, 3)} ms (first content ${fmt(f.firstContentP50, 3)} ms) over ${f.n} requests`,
    );
    if (f.failures.length)
      problems.push(`${target.label} first-chunk loop: ${f.failures.length} failed, e.g. ${f.failures[0]}`);
  }

  // Switchyard's usage rows, read once it has stopped (a graceful stop flushes the last batch).
  let usage;
  if (sy) {
    await stopChild(sy.entry);
    try {
      const db = new Database(sy.dbFile, { readonly: true, fileMustExist: true });
      const rows = db
        .prepare(
          "select status_code, count(*) as n from usage_records group by status_code order by status_code",
        )
        .all();
      db.close();
      const total = rows.reduce((sum, row) => sum + row.n, 0);
      usage = `${fmtInt(total)} usage rows (${rows.map((r) => `${r.status_code}: ${r.n}`).join(", ")}) for ${fmtInt(switchyardOk)} answers counted by the bench (in-flight requests cut at the end of each run may add a few rows)`;
      if (total < switchyardOk)
        problems.push(`Switchyard recorded ${total} usage rows for ${switchyardOk} answered requests`);
    } catch (error) {
      usage = `could not read usage_records: ${error.message}`;
    }
  }
  const grouped = (entry) => [...entry.problems].map(([key, count]) => `${count}x ${key}`).join("; ");
  if (sy && sy.entry.problems.size > 0)
    warnings.push(`Switchyard's log at warn and above: ${grouped(sy.entry)}`);
  if (baseline && baseline.entry.problems.size > 0)
    warnings.push(`the baseline's log at warn and above: ${grouped(baseline.entry)}`);
  if (pk && pk.entry.problems.size > 0)
    warnings.push(`Portkey printed error-looking lines: ${grouped(pk.entry)}`);
  for (const entry of [mock.entry, minimal?.entry]) {
    if (entry && entry.problems.size > 0) warnings.push(`the ${entry.name} printed: ${grouped(entry)}`);
  }

  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const report = buildReport({ date, targets, results, runs, ttfc, rss, syRss, notes, usage, loadBefore });
  const section = (title, items) =>
    items.length ? `\n## ${title}\n\n${items.map((p) => `- ${p}`).join("\n")}\n` : "";
  const problemText = section("Problems", problems) + section("Warnings", warnings);
  const full = `${report}${problemText}\nRun time: ${Math.round((Date.now() - started) / 1000)} s.\n`;
  fs.writeFileSync(path.join(here, "results.md"), full);
  console.log(`\n${full}`);
  log(`written to ${path.relative(process.cwd(), path.join(here, "results.md"))}`);
  return problems.length === 0;
}

main()
  .then(async (ok) => {
    await cleanup();
    process.exit(ok ? 0 : 1);
  })
  .catch(async (error) => {
    console.error(`gateway bench failed: ${error.stack ?? error}`);
    await cleanup();
    process.exit(1);
  });
