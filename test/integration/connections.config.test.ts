import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

const tag = () => randomBytes(5).toString("hex");

describeEachDialect("connection config per provider type", (dialect) => {
  const t = useTestApp(dialect);
  const create = async (payload: Record<string, unknown>) =>
    t().app.inject({
      method: "POST",
      url: "/api/llm-providers",
      headers: (await t().newUser()).headers,
      payload,
    });

  it("takes azure's api_version and deployment, OpenAI's organization, and refuses them elsewhere naming the field", async () => {
    const azure = await create({
      name: "az",
      provider_type: "azure-openai",
      base_url: "https://example-resource.openai.azure.com",
      api_key: "azure-key-0000",
      config: { api_version: "2024-10-21", deployment: "gpt-4o-prod" },
    });
    expect(azure.statusCode, azure.body).toBe(201);
    expect(azure.json().config).toEqual({ api_version: "2024-10-21", deployment: "gpt-4o-prod" });

    const noVersion = await create({
      name: "az2",
      provider_type: "azure-openai",
      base_url: "https://x.openai.azure.com",
      api_key: "k-000000",
    });
    expect(noVersion.statusCode).toBe(422);
    expect(noVersion.json().errors[0].field).toBe("/config/api_version");

    const misplaced = await create({
      name: "an",
      provider_type: "anthropic",
      api_key: "sk-ant-000000",
      config: { deployment: "x" },
    });
    expect(misplaced.statusCode).toBe(422);
    expect(misplaced.json().errors[0].field).toBe("/config/deployment");

    const org = await create({
      name: "g",
      provider_type: "google",
      api_key: "AIza-000000",
      config: { organization: "org-1" },
    });
    expect(org.statusCode).toBe(422);
    expect(org.json().errors[0].field).toBe("/config/organization");

    const headers = await create({
      name: "h",
      provider_type: "openai",
      api_key: "sk-0000000000",
      config: { headers: { Authorization: "Bearer x" } },
    });
    expect(headers.statusCode).toBe(422);
    expect(headers.json().errors[0].field).toBe("/config/headers/Authorization");

    const defaults = await create({
      name: "d",
      provider_type: "openai",
      api_key: "sk-0000000000",
      config: { temperature: 0.2, max_tokens: 256, organization: "org-1" },
    });
    expect(defaults.statusCode, defaults.body).toBe(201);
    expect(
      (
        await create({
          name: "t",
          provider_type: "openai",
          api_key: "sk-0000000000",
          config: { temperature: 3 },
        })
      ).statusCode,
    ).toBe(422);
  });

  const put = async (user: TestUser, id: string, payload: Record<string, unknown>) =>
    t().app.inject({ method: "PUT", url: `/api/llm-providers/${id}`, headers: user.headers, payload });
  const fieldsOf = (res: { json(): { errors?: { field: string }[] } }) =>
    (res.json().errors ?? []).map((e) => e.field);
  /** Every log line and audit entry so far, for scanning for a secret. */
  const logsAndAudit = async () =>
    t().logs.text() + JSON.stringify(await t().sy.db.selectFrom("audit_logs").selectAll().execute());

  it("refuses config.headers undici could never send (422, one issue per header, the value never echoed) on create and update", async () => {
    const secret = `hdr-secret-${tag()}`;
    const user = await t().newUser();
    const bad = {
      "x-crlf": `Bearer ${secret}\r\nx-injected: 1`,
      "x-snowman": `${secret}\u2603`,
      "x foo": secret,
      "": secret,
      "Transfer-Encoding": "chunked",
      Upgrade: "websocket",
      "keep-alive": "timeout=5",
      Expect: "100-continue",
      Connection: "close",
      Host: "elsewhere.example.test",
      "x-fine": "kept",
    };
    const wanted = Object.keys(bad)
      .filter((name) => name !== "x-fine")
      .map((name) => `/config/headers/${name}`);
    const base = { provider_type: "openai-compatible", base_url: "https://llm.example.test/v1" };

    const created = await create({ ...base, name: `h-${tag()}`, config: { headers: bad } });
    expect(created.statusCode, created.body).toBe(422);
    expect(created.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(fieldsOf(created).sort()).toEqual([...wanted].sort());
    expect(created.body).not.toContain(secret);

    const ok = await t().connection(user, {
      ...base,
      name: `h-${tag()}`,
      config: { headers: { "x-fine": "1" } },
    });
    const updated = await put(user, ok.id, { config: { headers: bad } });
    expect(updated.statusCode, updated.body).toBe(422);
    expect(fieldsOf(updated).sort()).toEqual([...wanted].sort());
    expect(updated.body).not.toContain(secret);
    expect(await logsAndAudit()).not.toContain(secret);
    const after = await t().app.inject({
      method: "GET",
      url: `/api/llm-providers/${ok.id}`,
      headers: user.headers,
    });
    expect(after.json().config).toEqual({ headers: { "x-fine": "1" } });

    // Names any token allows, Latin-1 values and a tab are fine.
    const fine = await create({
      ...base,
      name: `h-${tag()}`,
      config: {
        headers: { "X-Title": "app", "x_trace.id": "café\tlatte", "HTTP-Referer": "https://a.test" },
      },
    });
    expect(fine.statusCode, fine.body).toBe(201);
  });

  it("refuses a base_url with user:password@ (422 /base_url, the password never echoed) on create and update, in every scope", async () => {
    const password = `pw-${tag()}`;
    const withUserinfo = `http://alice:${password}@llm.example.test/v1`;
    const user = await t().newUser();
    const base = { provider_type: "openai-compatible", base_url: "https://llm.example.test/v1" };

    const userScope = await create({ ...base, name: `u-${tag()}`, base_url: withUserinfo });
    const system = await t().app.inject({
      method: "POST",
      url: "/api/llm-providers",
      headers: t().admin.headers,
      payload: { ...base, name: `s-${tag()}`, scope: "system", base_url: withUserinfo },
    });
    const ok = await t().connection(user, { ...base, name: `u-${tag()}` });
    const updated = await put(user, ok.id, { base_url: withUserinfo });
    const profile = await t().app.inject({
      method: "PUT",
      url: "/api/users/me/llm-profile",
      headers: (await t().newUser()).headers,
      payload: { provider: "openai-compatible", base_url: withUserinfo },
    });
    for (const res of [userScope, system, updated, profile]) {
      expect(res.statusCode, res.body).toBe(422);
      expect(fieldsOf(res)).toEqual(["/base_url"]);
      expect(res.json().errors[0].message).toMatch(/api_key/);
      expect(res.body).not.toContain(password);
    }
    expect(await logsAndAudit()).not.toContain(password);
    const row = await t().sy.connectionsRepo.findById(ok.id);
    expect(row?.baseUrl).toBe("https://llm.example.test/v1");
  });

  it("shows a base_url stored with userinfo before the rule masked, to everyone, in the list, one connection and the profile", async () => {
    const password = `pw-${tag()}`;
    const admin = t().admin;
    const system = await t().connection(admin, {
      name: `s-${tag()}`,
      scope: "system",
      provider_type: "openai-compatible",
      base_url: "http://llm.example.test/v1",
    });
    await t().sy.connectionsRepo.update(system.id, "system", {
      baseUrl: `http://alice:${password}@llm.example.test/v1`,
    });

    const user = await t().newUser();
    const profile = await t().app.inject({
      method: "PUT",
      url: "/api/users/me/llm-profile",
      headers: user.headers,
      payload: { provider: "openai-compatible", base_url: "https://llm.example.test/v1" },
    });
    expect(profile.statusCode, profile.body).toBe(200);
    await t().sy.connectionsRepo.update(profile.json().id, `user:${user.id}`, {
      baseUrl: `https://bob:${password}@llm.example.test/v1`,
    });

    // The system connection's base_url is shown to the admin only (a plain user gets the usage view).
    const list = await t().app.inject({ method: "GET", url: "/api/llm-providers", headers: admin.headers });
    const one = await t().app.inject({
      method: "GET",
      url: `/api/llm-providers/${system.id}`,
      headers: admin.headers,
    });
    const me = await t().app.inject({
      method: "GET",
      url: "/api/users/me/llm-profile",
      headers: user.headers,
    });
    for (const res of [list, one, me]) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain(password);
      expect(res.body).not.toContain("alice");
    }
    expect(one.json().base_url).toBe("http://***@llm.example.test/v1");
    expect(me.json().base_url).toBe("https://***@llm.example.test/v1");
    const listed = (list.json().items as { id: string; base_url: string }[]).find((c) => c.id === system.id);
    expect(listed?.base_url).toBe("http://***@llm.example.test/v1");
  });

  it("a connection stored with unsendable headers before the rule fails with a clear config error, not 'could not reach', and can still be disabled", async () => {
    const secret = `hdr-secret-${tag()}`;
    const user = await t().newUser();
    const { id } = await t().connection(user, {
      name: `main-${tag()}`,
      provider_type: "openai-compatible",
      base_url: "https://llm.example.test/v1",
      model: "m",
    });
    await t().sy.connectionsRepo.update(id, `user:${user.id}`, {
      config: { headers: { "x-token": `${secret}\r\nx-evil: 1` } },
    });

    const tested = await t().app.inject({
      method: "POST",
      url: `/api/llm-providers/${id}/test`,
      headers: user.headers,
    });
    expect(tested.statusCode, tested.body).toBe(200);
    expect(tested.json().health_status).toBe("failed");
    expect(tested.json().error).toMatch(/custom headers cannot be sent \(\/config\/headers\/x-token /);
    expect(tested.body).not.toContain(secret);

    const chat = await t().app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: user.headers,
      payload: { model: "m", messages: [{ role: "user", content: "hi" }] },
    });
    expect(chat.statusCode, chat.body).toBe(502);
    expect(chat.json().error.message).toMatch(/custom headers cannot be sent/);
    expect(chat.body).not.toMatch(/could not reach|UND_ERR/);
    expect(chat.body).not.toContain(secret);

    const disabled = await put(user, id, { is_enabled: false });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect(await logsAndAudit()).not.toContain(secret);
    const fixed = await put(user, id, { config: { headers: { "x-token": "fine" } }, is_enabled: true });
    expect(fixed.statusCode, fixed.body).toBe(200);
  });
});
