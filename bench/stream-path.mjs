// The CPU a streamed answer costs on Switchyard's stream path, in-process and without sockets:
// the mock upstream's SSE body (bench/gateway/mock-upstream.mjs: role chunk, 5 content chunks,
// finish, usage, [DONE], in one read as the mock writes it) through the OpenAI adapter's reader, the
// parts and the gateway's event stream, as the gateway runs it, to the strings it writes. Finer than
// the gateway bench, whose end-to-end CPU per request moves ±10% between runs on a shared VM: this
// measures the translation alone.
//
//   npm run build && node --expose-gc bench/stream-path.mjs [<baseline checkout>]
//
// With a baseline (a checkout with dist/ built, e.g. a git worktree), both builds run in the same
// process, in alternating rounds, and the ratio of their medians is printed. The floor is the same
// reading and writing with no async step at all (this checkout's parser and encoder in a loop).
//
// Known flaw (bench/README.md, "Counting instead of timing"): the loop is nothing but awaits, so
// process.nextTick callbacks, where a Readable delivers its end, wait for the end of a round, and
// with them each stream's background drain. Streams are held longer than in the server and more of
// them reach V8's old generation: the figures are upper bounds, and an A/B carries the flaw on both
// sides.
import path from "node:path";
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { pathToFileURL } from "node:url";
import { createParser } from "eventsource-parser";
import { streamBody } from "./gateway/mock-upstream.mjs";

const ROUNDS = 21;
const STREAMS_PER_ROUND = 5_000;
const here = path.resolve(import.meta.dirname, "..");

async function loadBuild(root) {
  const dist = (file) => import(pathToFileURL(path.join(root, "dist", file)).href);
  const [
    { readSseEvents },
    { readOpenAIChatStream, OpenAIStreamParser },
    { OpenAIEventStream },
    { createChunkEncoder },
  ] = await Promise.all([
    dist("providers/sse.js"),
    dist("providers/openai/openai-chat-stream.js"),
    dist("gateway/openai-event-stream.js"),
    dist("gateway/encode-openai-response.js"),
  ]);
  const hooks = { signal: { aborted: false }, onFinish() {}, onFailure() {}, onUnfinished() {} };
  // The body as postStream hands it over: undici's Readable read through its own async iterator,
  // behind an iterator object that passes each read on (postStream's UpstreamBody, which also maps
  // errors and releases the call; not a generator, see src/providers/http.ts).
  function body() {
    const chunks = Readable.from([streamBody], { objectMode: false })[Symbol.asyncIterator]();
    return {
      next: () => chunks.next().then((result) => result),
      return: () => chunks.return(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
  return {
    OpenAIStreamParser,
    createChunkEncoder,
    /** One stream, as gateway.service.ts drives it; the characters written. */
    async stream() {
      const stream = await readOpenAIChatStream(readSseEvents(body(), { where: "mock", secrets: [] }), {
        where: "mock",
        secrets: [],
        cancel() {},
        // Builds before the connection timeout covered the first event have no started().
        started() {},
      });
      const encoder = createChunkEncoder(stream.id ?? "id", "bench-model", 1, false);
      const parts = stream.parts[Symbol.asyncIterator]();
      let written = 0;
      for await (const events of new OpenAIEventStream(parts, encoder, hooks)) written += events.length;
      return written;
    },
  };
}

/** The same parsing and encoding with no async step: what the translation itself costs. */
function floorOf(build) {
  return async () => {
    const decoder = new StringDecoder("utf8");
    const parser = new build.OpenAIStreamParser("mock", []);
    let encoder;
    let written = 0;
    const sse = createParser({
      onEvent(message) {
        for (const part of parser.push({ data: message.data })) {
          encoder ??= build.createChunkEncoder(parser.id ?? "id", "bench-model", 1, false);
          written += encoder.part(part).length;
        }
      },
    });
    sse.feed(decoder.write(streamBody));
    return written;
  };
}

/** CPU time (user + system) per stream; each round starts from a collected heap when gc() is exposed. */
async function microsPerStream(run) {
  globalThis.gc?.();
  const start = process.cpuUsage();
  for (let i = 0; i < STREAMS_PER_ROUND; i++) await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / STREAMS_PER_ROUND;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const current = await loadBuild(here);
const baselineRoot = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
const runs = [
  { label: `this checkout (${here})`, run: current.stream, times: [] },
  ...(baselineRoot
    ? [{ label: `baseline (${baselineRoot})`, run: (await loadBuild(baselineRoot)).stream, times: [] }]
    : []),
  { label: "floor: the same parsing and encoding, no async step", run: floorOf(current), times: [] },
];
for (const { run } of runs) for (let i = 0; i < 3000; i++) await run(); // warm up the JIT
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? runs : [...runs].reverse();
  for (const entry of order) entry.times.push(await microsPerStream(entry.run));
}
console.log(`µs per streamed answer (median of ${ROUNDS} rounds of ${STREAMS_PER_ROUND}; every round):`);
for (const { label, times } of runs) {
  console.log(
    `  ${median(times).toFixed(1).padStart(6)}  ${label}  [${times.map((t) => t.toFixed(1)).join(" ")}]`,
  );
}
if (baselineRoot) {
  console.log(`  this checkout / baseline: ${(median(runs[0].times) / median(runs[1].times)).toFixed(2)}x`);
}
