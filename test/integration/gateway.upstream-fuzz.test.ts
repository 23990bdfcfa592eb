import http from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import {
  describeReplacement,
  FUZZ_FORMATS,
  ODD_JSON_VALUES,
  jsonPaths,
  pickReplacement,
  seeded,
  withValueAt,
} from "../support/fuzz.js";
import { useTestApp } from "../support/http-harness.js";

// An upstream that answers wrongly must not make the gateway fail with a 500, crash, or pass the
// upstream's key on: every answer of each format's fake, whole or streamed, with one value swapped
// for one of the wrong kind (or removed), must come back as an answer, as OpenAI's error envelope
// (502 for a bad upstream answer), or, once a stream has started, as a stream that ends with its
// error event or [DONE].
//
// Real: the whole gateway and each adapter's parsers, undici, sockets on 127.0.0.1. Fake: the
// upstreams (test/support/fake-upstreams/), behind a proxy that mutates what they answer;
// deterministic, so a failure names the case that reproduces it.

const UPSTREAM_KEY = "sk-upstream-fuzz-answers-000000000000";

const ODD_VALUES: unknown[] = [...ODD_JSON_VALUES, { type: "x" }];

/** `value` (parsed JSON) with one value swapped for an odd one or removed; the description says which. */
function mutateJson(value: unknown, random: () => number): { text: string; what: string } {
  const all = jsonPaths(value);
  if (all.length === 0) return { text: JSON.stringify(ODD_VALUES[0]), what: "whole value -> null" };
  const path = all[Math.floor(random() * all.length)]!;
  const replacement = pickReplacement(random, ODD_VALUES);
  return {
    text: JSON.stringify(withValueAt(value, path, replacement)),
    what: `${path.join(".")} = ${describeReplacement(replacement)}`,
  };
}

/**
 * The answer's body with one JSON value in it mutated: the whole JSON body, one SSE event's data, or
 * one NDJSON line, by content type.
 */
function mutateBody(body: string, contentType: string, random: () => number): { text: string; what: string } {
  if (contentType.includes("text/event-stream")) {
    const events = body.split("\n\n");
    const json = events
      .map((event, index) => ({ index, data: /^data: (.*)$/m.exec(event)?.[1] }))
      .filter((e): e is { index: number; data: string } => e.data !== undefined && e.data.startsWith("{"));
    if (json.length === 0) return { text: body, what: "no JSON event" };
    const target = json[Math.floor(random() * json.length)]!;
    const mutated = mutateJson(JSON.parse(target.data), random);
    events[target.index] = events[target.index]!.replace(`data: ${target.data}`, `data: ${mutated.text}`);
    return { text: events.join("\n\n"), what: `event ${target.index}: ${mutated.what}` };
  }
  if (contentType.includes("ndjson")) {
    const lines = body.split("\n");
    const json = lines.map((line, index) => ({ line, index })).filter((l) => l.line.startsWith("{"));
    const target = json[Math.floor(random() * json.length)]!;
    const mutated = mutateJson(JSON.parse(target.line), random);
    lines[target.index] = mutated.text;
    return { text: lines.join("\n"), what: `line ${target.index}: ${mutated.what}` };
  }
  try {
    return mutateJson(JSON.parse(body), random);
  } catch {
    return { text: body, what: "not JSON" };
  }
}

/** In front of `target`: forwards each request, and answers with the answer mutated. */
async function startMutatingProxy(target: string, seed: number) {
  const random = seeded(seed);
  const state = { last: "" };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const headers = { ...req.headers };
        delete headers.host;
        delete headers["content-length"];
        const answer = await request(`${target}${req.url}`, {
          method: req.method as "POST",
          headers,
          body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        });
        const text = await answer.body.text();
        const contentType = String(answer.headers["content-type"] ?? "");
        const mutated =
          answer.statusCode === 200 ? mutateBody(text, contentType, random) : { text, what: "" };
        state.last = mutated.what;
        res.writeHead(answer.statusCode, { "content-type": contentType });
        res.end(mutated.text);
      })().catch((error: unknown) => {
        res.writeHead(599);
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const CASES_PER_FORMAT = 40;

describeEachDialect("/v1 chat when the upstream's answer has one value of the wrong kind", (dialect) => {
  const t = useTestApp(dialect);
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    for (const close of closers) await close();
  });

  for (const [n, format] of FUZZ_FORMATS.entries()) {
    describe(format.providerType, () => {
      let key: string;
      let proxy: Awaited<ReturnType<typeof startMutatingProxy>>;

      beforeAll(async () => {
        const fake = await format.start({
          apiKey: UPSTREAM_KEY,
          models: format.fakeModels,
        });
        proxy = await startMutatingProxy(fake.url, 0xa5a5 + n);
        closers.push(() => fake.close(), proxy.close);
        const user = await t().newUser();
        await t().connection(user, {
          name: "main",
          provider_type: format.providerType,
          base_url: format.baseUrl(proxy.origin),
          api_key: UPSTREAM_KEY,
          model: format.model,
        });
        key = (await t().apiKey(user)).key;
      });

      it(`answers ${CASES_PER_FORMAT} mutated upstream answers without a 500, whole or streamed`, async () => {
        const failures: string[] = [];
        for (let i = 0; i < CASES_PER_FORMAT; i++) {
          const stream = i % 2 === 1;
          const res = await t().app.inject({
            method: "POST",
            url: "/v1/chat/completions",
            headers: { authorization: `Bearer ${key}` },
            payload: {
              model: `main/${format.model}`,
              messages: [{ role: "user", content: i % 4 < 2 ? "hello there" : "please call tool" }],
              tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
              stream,
              stream_options: { include_usage: true },
            },
          });
          const what = `case ${i} (${stream ? "stream" : "whole"}): ${proxy.state.last} -> ${res.statusCode}`;
          if (res.body.includes(UPSTREAM_KEY)) failures.push(`${what}: the upstream key in the answer`);
          if (res.statusCode >= 500 && res.statusCode !== 502 && res.statusCode !== 504) {
            failures.push(`${what}: ${res.body}`);
          } else if (res.statusCode !== 200) {
            const error = (res.json() as { error?: { message?: unknown } }).error;
            if (typeof error?.message !== "string") failures.push(`${what}: no OpenAI envelope: ${res.body}`);
          } else if (stream) {
            const ended = res.body.trimEnd().endsWith("data: [DONE]") || /data: \{"error":/.test(res.body);
            if (!ended) failures.push(`${what}: the stream ended with neither [DONE] nor an error event`);
          }
        }
        expect(failures).toEqual([]);
      });
    });
  }
});
