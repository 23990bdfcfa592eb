import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { useTestApp } from "../support/http-harness.js";

// A 500 is a bug: every operation of the OpenAPI document, as an admin and as a plain user, with
// path parameters that exist, do not exist or are not ids, query values of the wrong kind, and
// bodies of every JSON kind (and ones whose documented fields have the wrong kind), answers a 2xx
// or a 4xx in problem+json, and never names a secret it was given.

interface Operation {
  method: string;
  path: string;
  query: string[];
  bodyFields: Record<string, unknown>;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string }[];
        requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
      }
    >
  >;
}

const ODD: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  "",
  "x",
  "\u0000",
  "a".repeat(3000),
  [],
  [null],
  {},
  { a: 1 },
];

describeEachDialect("the /api surface with input of the wrong kind", (dialect) => {
  const t = useTestApp(dialect);

  it("never answers 500, whatever it is sent", async () => {
    const doc = (await t().app.inject({ method: "GET", url: "/openapi.json" })).json() as OpenApiDoc;
    const operations: Operation[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith("/api/")) continue;
      for (const [method, op] of Object.entries(methods)) {
        operations.push({
          method: method.toUpperCase(),
          path,
          query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
          bodyFields: op.requestBody?.content?.["application/json"]?.schema?.properties ?? {},
        });
      }
    }
    expect(operations.length).toBeGreaterThan(20);

    const plain = await t().newUser();
    const connection = await t().connection(plain, {
      name: "fuzzed",
      provider_type: "openai-compatible",
      base_url: "https://api.example.com/v1",
      api_key: "sk-fuzz-secret-0000000000000000",
      model: "m",
    });
    const ids = [connection.id, randomUUID(), "not-an-id", "%00", "1"];
    const failures: string[] = [];
    const tally: Record<number, number> = {};
    for (const who of [t().admin, plain]) {
      for (const op of operations) {
        const bodies: unknown[] = [undefined, ...ODD.slice(0, 6)];
        for (const field of Object.keys(op.bodyFields)) for (const odd of ODD) bodies.push({ [field]: odd });
        for (const id of ids) {
          const url = op.path.replace(/\{[^}]+\}/g, encodeURIComponent(id));
          const queries = [
            "",
            ...op.query.flatMap((q) =>
              ["-1", "abc", "", "1e309", "2026-13-45"].map((v) => `?${q}=${encodeURIComponent(v)}`),
            ),
          ];
          for (const query of queries) {
            for (const body of query === "" ? bodies : [undefined]) {
              const res = await t().app.inject({
                method: op.method as "GET",
                url: url + query,
                headers: {
                  ...who.headers,
                  ...(body === undefined ? {} : { "content-type": "application/json" }),
                },
                ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
              });
              tally[res.statusCode] = (tally[res.statusCode] ?? 0) + 1;
              if (res.statusCode >= 500)
                failures.push(
                  `${op.method} ${url}${query} ${JSON.stringify(body)?.slice(0, 80)} -> ${res.statusCode} ${res.body.slice(0, 200)}`,
                );
              if (res.body.includes("sk-fuzz-secret"))
                failures.push(`${op.method} ${url}: the connection's key in the answer`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // The inputs reached validation and the handlers, not just the auth check.
    expect(tally[422]).toBeGreaterThan(1000);
    expect((tally[200] ?? 0) + (tally[201] ?? 0) + (tally[204] ?? 0)).toBeGreaterThan(100);
  }, 240_000);

  it("refuses text holding U+0000 with a 422 naming the field, on every dialect alike", async () => {
    const user = await t().newUser();
    const res = await t().app.inject({
      method: "POST",
      url: "/api/orgs",
      headers: user.headers,
      payload: { name: "Acme\u0000" },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: "validation_failed", errors: [{ field: "/name" }] });
  });
});
