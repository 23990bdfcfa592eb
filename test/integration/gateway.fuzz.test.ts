import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
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

// Bad input gets a clear 4xx and a 500 is a bug: chat requests that are valid but for one field,
// swapped for a value of the wrong kind (or removed), sent through every wire format's translation.
// Whatever the gateway does with each (answers it, refuses it 400, names it in the warnings header),
// it must not fail with a 500, must answer in OpenAI's error envelope when it refuses, and must not
// echo the upstream's key.
//
// Real: the whole gateway and each adapter, undici, the fakes on 127.0.0.1 (which refuse what their
// real APIs refuse). Deterministic: the mutations come from a seeded generator, so a failure names
// the case that reproduces it.

const UPSTREAM_KEY = "sk-upstream-fuzz-key-0000000000000000";

/** A request with every field the translations carry, valid as it stands. */
function baseRequest(model: string): Record<string, unknown> {
  return {
    model: `main/${model}`,
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "please call tool" }] },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "user", content: "and now?" },
    ],
    tools: [
      {
        type: "function",
        function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } },
      },
    ],
    tool_choice: "auto",
    max_tokens: 40,
    temperature: 0.5,
    top_p: 0.9,
    stop: ["NEVER"],
    stream_options: { include_usage: true },
    reasoning_effort: "low",
    response_format: { type: "text" },
    user: "u-1",
    seed: 7,
  };
}

/** Values of every JSON kind, the awkward ones included. */
const ODD_VALUES: unknown[] = [
  ...ODD_JSON_VALUES,
  { type: "function" },
  { role: "user" },
  "{",
  "data:image/png;base64,@@@",
  "http://169.254.169.254/latest/meta-data/",
  [{ type: "image_url", image_url: { url: "data:image/png;base64,@@@" } }],
  [{ type: "image_url", image_url: { url: "file:///etc/passwd" } }],
  [{ type: "text" }],
  [{ type: "input_audio", input_audio: { data: "", format: "wav" } }],
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
];

const CASES_PER_FORMAT = 60;

describeEachDialect("/v1 chat with one field of the wrong kind, on every wire format", (dialect) => {
  const t = useTestApp(dialect);
  const fakes: FakeUpstream[] = [];

  beforeAll(async () => {
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    for (const fake of fakes) await fake.close();
  });

  for (const format of FUZZ_FORMATS) {
    describe(format.providerType, () => {
      let key: string;
      let fake: FakeUpstream;

      beforeAll(async () => {
        fake = await format.start({
          apiKey: UPSTREAM_KEY,
          models: format.fakeModels,
        });
        fakes.push(fake);
        const user = await t().newUser();
        await t().connection(user, {
          name: "main",
          provider_type: format.providerType,
          base_url: format.baseUrl(fake.url),
          api_key: UPSTREAM_KEY,
          model: format.model,
        });
        key = (await t().apiKey(user)).key;
      });

      it("answers the unmutated request, whole and streamed", async () => {
        for (const stream of [false, true]) {
          const res = await t().app.inject({
            method: "POST",
            url: "/v1/chat/completions",
            headers: { authorization: `Bearer ${key}` },
            payload: { ...baseRequest(format.model), stream },
          });
          expect(res.statusCode, res.body).toBe(200);
        }
      });

      it("reads an explicit null as a field not sent, as OpenAI does (its Python SDK sends None as null)", async () => {
        const nulls = Object.fromEntries(
          Object.keys(baseRequest(format.model))
            .filter((name) => name !== "model" && name !== "messages")
            .map((name) => [name, null]),
        );
        for (const stream of [false, true]) {
          const res = await t().app.inject({
            method: "POST",
            url: "/v1/chat/completions",
            headers: { authorization: `Bearer ${key}` },
            payload: { ...baseRequest(format.model), ...nulls, n: null, stream_options: null, stream },
          });
          expect(res.statusCode, res.body).toBe(200);
          expect(res.headers["x-switchyard-warnings"]).toBeUndefined();
          const sent = JSON.parse(fake.requests.at(-1)!.body) as Record<string, unknown>;
          expect(Object.entries(sent).filter(([, value]) => value === null)).toEqual([]);
        }
      });

      it("refuses a model name holding U+0000 (it is recorded in usage, which PostgreSQL cannot store) and passes it in a message", async () => {
        const ask = (body: Record<string, unknown>) =>
          t().app.inject({
            method: "POST",
            url: "/v1/chat/completions",
            headers: { authorization: `Bearer ${key}` },
            payload: body,
          });
        const refused = await ask({ ...baseRequest(format.model), model: `main/${format.model}\u0000` });
        expect(refused.statusCode).toBe(400);
        expect(refused.json()).toMatchObject({ error: { param: "model" } });
        const passed = await ask({
          ...baseRequest(format.model),
          messages: [{ role: "user", content: "a\u0000b" }],
        });
        expect(passed.statusCode, passed.body).toBe(200);
      });

      it("refuses input nested thousands of levels deep with a 400, not a 500 from a recursive walk", async () => {
        // Written out as text: JSON.stringify itself cannot serialize it.
        const deep = `${"[".repeat(5_000)}"bottom"${"]".repeat(5_000)}`;
        for (const stream of [false, true]) {
          const res = await t().app.inject({
            method: "POST",
            url: "/v1/chat/completions",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            payload: `${JSON.stringify({ ...baseRequest(format.model), stream }).slice(0, -1)},"metadata":{"deep":${deep}}}`,
          });
          expect(res.statusCode, res.body).toBe(400);
          expect(res.json()).toMatchObject({ error: { type: "invalid_request_error" } });
          expect(res.json().error.message).toContain("levels deep");
        }
      });

      it(`never answers 500 to ${CASES_PER_FORMAT} requests with one field swapped or removed`, async () => {
        const random = seeded(0x5eed + format.providerType.length);
        const base = baseRequest(format.model);
        const all = jsonPaths(base);
        const failures: string[] = [];
        for (let i = 0; i < CASES_PER_FORMAT; i++) {
          const path = all[Math.floor(random() * all.length)]!;
          const replacement = pickReplacement(random, ODD_VALUES);
          const stream = random() < 0.5;
          const body = { ...withValueAt(base, path, replacement), stream };
          const res = await t().app.inject({
            method: "POST",
            url: "/v1/chat/completions",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            payload: JSON.stringify(body),
          });
          const what = `case ${i}: ${path.join(".")} = ${describeReplacement(replacement)}, stream ${stream}`;
          if (res.statusCode >= 500)
            failures.push(
              `${what} -> ${res.statusCode} ${res.body} (request ${JSON.stringify(body).slice(0, 1000)})`,
            );
          if (res.statusCode >= 400) {
            const error = (res.json() as { error?: { message?: unknown; type?: unknown } }).error;
            if (typeof error?.message !== "string" || typeof error.type !== "string") {
              failures.push(`${what} -> ${res.statusCode} without OpenAI's envelope: ${res.body}`);
            }
          }
          if (res.body.includes(UPSTREAM_KEY)) failures.push(`${what} echoed the upstream key`);
        }
        expect(failures).toEqual([]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });
    });
  }
});
