import { expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { useTestApp } from "../support/http-harness.js";

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
});
