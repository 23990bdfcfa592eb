import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { useTestApp } from "../support/http-harness.js";

// What a dialect-consistency fuzzer found differing between SQLite, PostgreSQL and MariaDB: the
// same requests must give the same answers on each (and never a 500). PostgreSQL's test databases
// use an ICU en-US collation (test/support/databases.ts), as most installs' collations order text.

describeEachDialect("the same answers on every dialect", (dialect) => {
  const t = useTestApp(dialect);

  it("a date past year 9999 in UTC is a 422, and the list it would have broken still answers", async () => {
    const user = await t().newUser();
    for (const expires_at of ["9999-12-31T23:59:59-14:00", "+010000-01-01T00:00:00Z"]) {
      const res = await t().app.inject({
        method: "POST",
        url: "/api/users/me/api-keys",
        headers: user.headers,
        payload: { name: "far", expires_at },
      });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().errors[0].field).toBe("/expires_at");
    }
    const list = await t().app.inject({ url: "/api/users/me/api-keys", headers: user.headers });
    expect(list.statusCode, list.body).toBe(200);
    for (const query of ["to=9999-12-31T23:59:59-14:00", "from=9999-12-31T23:59:59-14:00"]) {
      for (const url of [`/api/admin/usage?${query}`, `/api/admin/audit-logs?${query}`]) {
        const res = await t().app.inject({ url, headers: t().admin.headers });
        expect(res.statusCode, url).toBe(422);
      }
    }
    const cursor = Buffer.from(
      JSON.stringify({ created_at: "+010000-01-01T00:00:00.000Z", id: randomUUID() }),
    ).toString("base64url");
    const page = await t().app.inject({
      url: `/api/admin/audit-logs?cursor=${cursor}`,
      headers: t().admin.headers,
    });
    expect(page.statusCode).toBe(422);
  });

  it("text with a lone surrogate is a 422 naming the field, in names and in JSON config alike", async () => {
    const user = await t().newUser();
    const attempts = [
      { url: "/api/llm-providers", payload: { name: "x\ud800", provider_type: "ollama" }, field: "/name" },
      {
        url: "/api/llm-providers",
        payload: { name: "c1", provider_type: "ollama", config: { organization: "a\udc00" } },
        field: "/config/organization",
      },
      { url: "/api/orgs", payload: { name: "o\udfff" }, field: "/name" },
    ];
    for (const { url, payload, field } of attempts) {
      const res = await t().app.inject({ method: "POST", url, headers: user.headers, payload });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().errors).toEqual([{ field, message: expect.stringMatching(/lone surrogate/) }]);
    }
    // Nothing was stored: the well-formed name is free.
    const ok = await t().app.inject({
      method: "POST",
      url: "/api/llm-providers",
      headers: user.headers,
      payload: { name: "x\ufffd", provider_type: "openai", api_key: "sk-dialect-consistency-000000" },
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it("lists text by code point, the same order on every dialect", async () => {
    const user = await t().newUser();
    const names = ["beta", "😀", "alpha", "Émile", "_x", "Alpha"];
    for (const [i, name] of names.entries()) {
      const res = await t().app.inject({
        method: "POST",
        url: "/api/orgs",
        headers: user.headers,
        payload: { name, slug: `org-${i}-${randomUUID().slice(0, 8)}` },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const list = await t().app.inject({ url: "/api/orgs", headers: user.headers });
    expect(list.statusCode, list.body).toBe(200);
    const listed = list.json() as { items?: { name: string }[] } | { name: string }[];
    const items = Array.isArray(listed) ? listed : (listed.items ?? []);
    expect(items.map((o) => o.name)).toEqual(["Alpha", "_x", "alpha", "beta", "Émile", "😀"]);
  });

  it("usage groups: a null key (a deleted connection, no model) comes last, the rest by code point", async () => {
    const user = await t().newUser();
    const row = (model: string | null) => ({
      id: randomUUID(),
      user_id: user.id,
      api_key_id: null,
      connection_id: null,
      endpoint: "chat.completions",
      provider_type: null,
      model,
      status_code: 200,
      error_code: null,
    });
    await t()
      .sy.db.insertInto("usage_records")
      .values([row("beta"), row(null), row("Alpha"), row("_x"), row("alpha")])
      .execute();
    for (const url of ["/api/users/me/usage?group_by=model", "/api/users/me/usage?group_by=connection"]) {
      const res = await t().app.inject({ url, headers: user.headers });
      expect(res.statusCode, res.body).toBe(200);
      const keys = (res.json().items as { key: string | null }[]).map((i) => i.key);
      expect(keys, url).toEqual(url.endsWith("model") ? ["Alpha", "_x", "alpha", "beta", null] : [null]);
    }
  });

  it("an audit filter with surrounding spaces is a 422 (MariaDB's comparison ignored trailing ones)", async () => {
    for (const query of ["action=auth.register%20", "resource_type=connection%20", "actor_id=%20x"]) {
      const res = await t().app.inject({ url: `/api/admin/audit-logs?${query}`, headers: t().admin.headers });
      expect(res.statusCode, query).toBe(422);
    }
    const exact = await t().app.inject({
      url: "/api/admin/audit-logs?action=auth.register",
      headers: t().admin.headers,
    });
    expect(exact.statusCode).toBe(200);
  });
});
