import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import { reasoningFor } from "../support/fake-upstreams/echo-chat.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { useTestApp } from "../support/http-harness.js";

const UPSTREAM_KEY = "sk-upstream-ai-sdk-000000000000";

// The AI SDK's OpenAI-compatible provider against Switchyard, as a TypeScript app would use it.
describeEachDialect("/v1 with the AI SDK's OpenAI-compatible provider", (dialect) => {
  const t = useTestApp(dialect);
  let fake: FakeUpstream;
  let baseURL: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
    baseURL = await t().listen();
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("generates and streams text on the user's connection", async () => {
    const { user } = await t().userWithConnection({ baseUrl: `${fake.url}/v1`, apiKey: UPSTREAM_KEY });
    const { key: apiKey } = await t().apiKey(user, { name: "sdk" });
    const switchyard = createOpenAICompatible({ name: "switchyard", baseURL, apiKey, includeUsage: true });

    const generated = await generateText({
      model: switchyard("main/m"),
      prompt: "from the sdk",
      maxRetries: 0,
    });
    expect(generated.text).toContain("from the sdk");
    expect(generated.finishReason).toBe("stop");
    expect(generated.usage.totalTokens).toBeGreaterThan(0);

    const streamed = streamText({
      model: switchyard("main/m"),
      prompt: "streamed by the sdk",
      maxRetries: 0,
    });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toContain("streamed by the sdk");
    expect((await streamed.usage).totalTokens).toBeGreaterThan(0);
  });

  it("hands the upstream's reasoning to the SDK apart from the text, whole and streamed", async () => {
    const { user } = await t().userWithConnection({ baseUrl: `${fake.url}/v1`, apiKey: UPSTREAM_KEY });
    const { key: apiKey } = await t().apiKey(user, { name: "sdk-reasoning" });
    const switchyard = createOpenAICompatible({ name: "switchyard", baseURL, apiKey, includeUsage: true });

    const generated = await generateText({
      model: switchyard("main/m"),
      prompt: "think first",
      maxRetries: 0,
    });
    expect(generated.reasoningText).toBe(reasoningFor("think first"));
    expect(generated.text).toBe("echo: think first");

    const streamed = streamText({ model: switchyard("main/m"), prompt: "think first", maxRetries: 0 });
    const order: string[] = [];
    let reasoning = "";
    for await (const part of streamed.fullStream) {
      if (part.type === "reasoning-delta") reasoning += part.text;
      if (part.type === "reasoning-delta" || part.type === "text-delta") order.push(part.type);
    }
    expect(reasoning).toBe(reasoningFor("think first"));
    expect(await streamed.text).toBe("echo: think first");
    expect(order.indexOf("text-delta")).toBe(order.lastIndexOf("reasoning-delta") + 1);
  });
});
