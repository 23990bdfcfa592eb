import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import {
  describeReplacement,
  jsonPaths,
  ODD_JSON_VALUES,
  pickReplacement,
  seeded,
  withValueAt,
} from "../support/fuzz.js";
import { useTestApp } from "../support/http-harness.js";

// A 500 is a bug: every operation of the OpenAPI document, as an admin and as a plain user, with
// path parameters that exist, do not exist or are not ids, query values of the wrong kind, and
// bodies of every JSON kind (and ones whose documented fields have the wrong kind), answers a 2xx
// or a 4xx in problem+json, and never names a secret it was given. Then valid bodies of every
// operation that writes, each with one value deep inside swapped (seeded, so a failure reproduces),
// which get past validation far more often and reach the services and the database.

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

/**
 * The requests one operation gets: each id in its path; with no body, a body of every kind, and
 * each documented field alone with a value of every kind; then each query parameter with values of
 * the wrong kind.
 */
function* requestsFor(op: Operation, ids: readonly string[]): Generator<{ url: string; body?: unknown }> {
  const bodies: unknown[] = [undefined, ...ODD_JSON_VALUES];
  for (const field of Object.keys(op.bodyFields)) {
    for (const odd of ODD_JSON_VALUES) bodies.push({ [field]: odd });
  }
  for (const id of ids) {
    const url = op.path.replace(/\{[^}]+\}/g, encodeURIComponent(id));
    for (const body of bodies) yield { url, body };
    for (const name of op.query) {
      for (const value of ["-1", "abc", "", "1e309", "2026-13-45"]) {
        yield { url: `${url}?${name}=${encodeURIComponent(value)}` };
      }
    }
  }
}

describeEachDialect("the /api surface with input of the wrong kind", (dialect) => {
  const t = useTestApp(dialect);

  /**
   * Sends requests and keeps what the cases check: a failure for a 500 or for `secret` in the
   * answer, and a count per status (to show the input got as far as each case means it to).
   */
  function prober(secret: string) {
    const failures: string[] = [];
    const answered: Record<number, number> = {};
    const probe = async (
      request: { method: string; url: string; headers: Record<string, string>; body?: unknown },
      what: string,
    ) => {
      const res = await t().app.inject({
        method: request.method as "GET",
        url: request.url,
        headers: {
          ...request.headers,
          ...(request.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
      });
      answered[res.statusCode] = (answered[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 500) failures.push(`${what} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (res.body.includes(secret)) failures.push(`${what}: the secret in the answer`);
    };
    const count = (...statuses: number[]) =>
      statuses.reduce((sum, status) => sum + (answered[status] ?? 0), 0);
    return { probe, failures, count };
  }

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
    const { probe, failures, count } = prober("sk-fuzz-secret");
    for (const who of [t().admin, plain]) {
      for (const op of operations) {
        for (const request of requestsFor(op, ids)) {
          await probe(
            { ...request, method: op.method, headers: who.headers },
            `${op.method} ${request.url} ${JSON.stringify(request.body)?.slice(0, 80)}`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
    // The inputs reached validation and the handlers, not just the auth check.
    expect(count(422)).toBeGreaterThan(1000);
    expect(count(200, 201, 204)).toBeGreaterThan(100);
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

  it("never answers 500 to valid writes with one value deep inside of the wrong kind", async () => {
    const user = await t().newUser();
    const other = await t().newUser();
    const secret = "sk-deep-fuzz-secret-000000000000";
    const org = (
      await t().app.inject({
        method: "POST",
        url: "/api/orgs",
        headers: user.headers,
        payload: { name: "Acme" },
      })
    ).json() as { id: string };
    const connection = await t().connection(user, {
      name: "c1",
      provider_type: "openai-compatible",
      base_url: "https://api.example.com/v1",
      api_key: secret,
      model: "m",
    });
    const writes: {
      method: "POST" | "PUT" | "PATCH";
      url: string;
      admin: boolean;
      body: Record<string, unknown>;
    }[] = [
      {
        method: "POST",
        url: "/api/llm-providers",
        admin: false,
        body: {
          name: "n",
          provider_type: "azure-openai",
          scope: "user",
          base_url: "https://x.openai.azure.com",
          model: "gpt",
          api_key: secret,
          config: {
            organization: "o",
            headers: { "x-a": "b" },
            temperature: 1,
            max_tokens: 10,
            api_version: "2024-10-21",
            deployment: "d",
          },
          timeout_seconds: 30,
          context_window: 8000,
          is_default: true,
          is_enabled: true,
        },
      },
      {
        method: "POST",
        url: "/api/llm-providers",
        admin: true,
        body: {
          name: "s",
          provider_type: "openai",
          scope: "system",
          api_key_ref: "env:OPENAI_API_KEY",
          model: "gpt",
        },
      },
      {
        method: "POST",
        url: "/api/llm-providers",
        admin: false,
        body: {
          name: "o",
          provider_type: "anthropic",
          scope: "org",
          org_id: org.id,
          api_key: secret,
          model: "claude",
        },
      },
      {
        method: "PUT",
        url: `/api/llm-providers/${connection.id}`,
        admin: false,
        body: {
          name: "n2",
          base_url: "https://api.example.com/v2",
          model: "m2",
          api_key: secret,
          config: { temperature: 0.5 },
          is_default: false,
        },
      },
      { method: "POST", url: "/api/orgs", admin: false, body: { name: "Org", slug: "org-x" } },
      { method: "PATCH", url: `/api/orgs/${org.id}`, admin: false, body: { name: "Org2", slug: "org-y" } },
      {
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        admin: false,
        body: { email: other.email, role: "member" },
      },
      {
        method: "POST",
        url: "/api/admin/users",
        admin: true,
        body: {
          email: "new@example.com",
          password: "a long enough password",
          display_name: "N",
          admin: false,
        },
      },
      {
        method: "PATCH",
        url: `/api/admin/users/${other.id}`,
        admin: true,
        body: { status: "active", admin: false, display_name: "O" },
      },
      { method: "PATCH", url: "/api/users/me", admin: false, body: { display_name: "Me" } },
      {
        method: "POST",
        url: "/api/users/me/api-keys",
        admin: false,
        body: {
          name: "k",
          expires_at: "2030-01-01T00:00:00Z",
          rate_limit_rpm: 10,
          rate_limit_tpm: 1000,
          scopes: ["gateway"],
        },
      },
      {
        method: "PUT",
        url: "/api/users/me/llm-profile",
        admin: false,
        body: { connection_id: connection.id },
      },
      {
        method: "POST",
        url: "/api/auth/register",
        admin: false,
        body: { email: "r@example.com", password: "a long enough password" },
      },
    ];
    const settings = (
      await t().app.inject({ method: "GET", url: "/api/admin/settings", headers: t().admin.headers })
    ).json() as { items: { key: string; value: unknown }[] };
    for (const setting of settings.items) {
      writes.push({
        method: "PUT",
        url: `/api/admin/settings/${setting.key}`,
        admin: true,
        body: { value: setting.value },
      });
    }

    const odd = [
      ...ODD_JSON_VALUES,
      "2026-13-45T99:99:99Z",
      "9999-12-31T23:59:59Z",
      "env:X",
      "http://127.0.0.1:1/v1",
      "ftp://x",
    ];
    const random = seeded(0xd00d);
    const { probe, failures, count } = prober(secret);
    for (const write of writes) {
      const all = jsonPaths(write.body);
      for (let i = 0; i < all.length * 6; i++) {
        const path = all[Math.floor(random() * all.length)]!;
        const replacement = pickReplacement(random, odd);
        await probe(
          {
            method: write.method,
            url: write.url,
            headers: (write.admin ? t().admin : user).headers,
            body: withValueAt(write.body, path, replacement),
          },
          `${write.method} ${write.url} ${path.join(".")} = ${describeReplacement(replacement)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    // Some got past validation into the services (a 2xx, or a conflict the database reported).
    expect(count(200, 201, 409)).toBeGreaterThan(20);
  });
});
