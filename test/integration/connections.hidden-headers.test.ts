import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { useTestApp } from "../support/http-harness.js";

// A custom header that may carry a credential (X-Auth-Token, Ocp-Apim-Subscription-Key) is how some
// upstreams authenticate; its value is used, never shown: a system connection's config is visible
// to every user.

const TOKEN = "tok-hidden-header-value-0123456789";

describeEachDialect("credential-like custom header values", (dialect) => {
  const t = useTestApp(dialect);

  it("are hidden in every view, kept when the shown config is saved back, and replaced when a new value is sent", async () => {
    const admin = t().admin;
    const user = await t().newUser();
    const created = await t().app.inject({
      method: "POST",
      url: "/api/llm-providers",
      headers: admin.headers,
      payload: {
        name: "shared-gw",
        scope: "system",
        provider_type: "openai-compatible",
        base_url: "https://gateway.example.test/v1",
        config: { headers: { "X-Auth-Token": TOKEN, "X-Team": "research" } },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const shown = { "X-Auth-Token": "[hidden]", "X-Team": "research" };
    expect(created.json().config.headers).toEqual(shown);

    for (const viewer of [admin, user]) {
      const one = await t().app.inject({ url: `/api/llm-providers/${id}`, headers: viewer.headers });
      // A plain user gets the usage view of a system connection: no config at all.
      expect(one.json().config?.headers ?? null).toEqual(viewer === admin ? shown : null);
      const list = await t().app.inject({ url: "/api/llm-providers", headers: viewer.headers });
      expect(list.body).not.toContain(TOKEN);
    }

    // What the upstream would get (the stored values are encrypted: connections.secret-headers.test.ts).
    const stored = async () => t().sy.connectionHeaders((await t().sy.connectionsRepo.findById(id))!);
    expect(await stored()).toEqual({ "X-Auth-Token": TOKEN, "X-Team": "research" });

    // Saving back what was shown (another field changed) keeps the credential.
    const saved = await t().app.inject({
      method: "PUT",
      url: `/api/llm-providers/${id}`,
      headers: admin.headers,
      payload: { config: { headers: { ...shown, "X-Team": "platform" } } },
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(await stored()).toEqual({ "X-Auth-Token": TOKEN, "X-Team": "platform" });

    // A new value replaces it.
    await t().app.inject({
      method: "PUT",
      url: `/api/llm-providers/${id}`,
      headers: admin.headers,
      payload: { config: { headers: { "X-Auth-Token": "tok-rotated-0000000000", "X-Team": "platform" } } },
    });
    expect((await stored())?.["X-Auth-Token"]).toBe("tok-rotated-0000000000");
    expect(t().bodies()).not.toContain(TOKEN);
  });
});
