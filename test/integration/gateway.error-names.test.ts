import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeAnthropic } from "../support/fake-upstreams/anthropic.js";
import { startFakeAzureOpenAI } from "../support/fake-upstreams/azure-openai.js";
import { startFakeGoogle } from "../support/fake-upstreams/google.js";
import { startFakeOllama } from "../support/fake-upstreams/ollama.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";
import { orgWithMembers } from "../support/org-with-members.js";

// Real: the HTTP app, its services, a database of each dialect, and fake upstreams on loopback: one
// that refuses the connections' key (HTTP 401, read in http.ts), others that answer bodies of the
// wrong shape (read by each adapter). Which connection a call goes to is named in `model`.

const KEY = "sk-upstream-names-000000000000";
const WRONG_KEY = "sk-upstream-names-wrong-111111111";
const tag = () => randomBytes(4).toString("hex");

describeEachDialect(
  "/v1 errors name the connection, not its host, to a caller who may not change it",
  (dialect) => {
    const t = useTestApp(dialect);
    let refusing: FakeUpstream;
    let misshapen: FakeUpstream;

    beforeAll(async () => {
      refusing = await startFakeOpenAI({ apiKey: KEY });
      misshapen = await startFakeOpenAI({ apiKey: KEY, mode: "wrong_shape" });
      await t().setting("connections.allow_private_base_urls", true);
    });
    afterAll(async () => {
      await refusing?.close();
      await misshapen?.close();
    });

    /** Two connections of `owner`'s making, one at each fake, named `<prefix>-refusing` and `<prefix>-misshapen`. */
    async function pair(owner: TestUser, prefix: string, scope: Record<string, unknown>): Promise<void> {
      await t().connection(owner, {
        name: `${prefix}-refusing`,
        provider_type: "openai-compatible",
        base_url: `${refusing.url}/v1`,
        api_key: WRONG_KEY,
        model: "m",
        ...scope,
      });
      await t().connection(owner, {
        name: `${prefix}-misshapen`,
        provider_type: "openai-compatible",
        base_url: `${misshapen.url}/v1`,
        api_key: KEY,
        model: "m",
        ...scope,
      });
    }

    /** The error messages `user` gets calling each of the pair: chat, streamed chat, embeddings. */
    async function messagesSeenBy(user: TestUser, prefix: string): Promise<string[]> {
      const messages: string[] = [];
      for (const which of ["refusing", "misshapen"]) {
        const model = `${prefix}-${which}/m`;
        const calls = [
          { url: "/v1/chat/completions", payload: { model, messages: [{ role: "user", content: "hi" }] } },
          {
            url: "/v1/chat/completions",
            payload: { model, stream: true, messages: [{ role: "user", content: "hi" }] },
          },
          { url: "/v1/embeddings", payload: { model, input: "hi" } },
        ];
        for (const { url, payload } of calls) {
          const res = await t().app.inject({ method: "POST", url, headers: user.headers, payload });
          expect(res.statusCode, `${url} ${model}: ${res.body}`).toBe(502);
          messages.push(res.json<{ error: { message: string } }>().error.message);
        }
      }
      return messages;
    }

    const hosts = () => [new URL(refusing.url).host, new URL(misshapen.url).host];

    function expectNamed(messages: string[], prefix: string): void {
      for (const message of messages) {
        expect(message).toMatch(new RegExp(`connection "${prefix}-(refusing|misshapen)"`));
        for (const host of hosts()) expect(message).not.toContain(host);
      }
    }

    function expectHosts(messages: string[]): void {
      for (const message of messages)
        expect(
          hosts().some((host) => message.includes(host)),
          message,
        ).toBe(true);
    }

    it("a system connection: a plain user's calls name it; the admin's name the host", async () => {
      const prefix = `sys-${tag()}`;
      await pair(t().admin, prefix, { scope: "system" });
      const user = await t().newUser();
      expectNamed(await messagesSeenBy(user, prefix), prefix);
      expectHosts(await messagesSeenBy(t().admin, prefix));
    });

    it("an org connection: a member's calls name it; an owner's, an org admin's and the member's on their own name the host", async () => {
      const owner = await t().newUser();
      const orgAdmin = await t().newUser();
      const member = await t().newUser();
      const orgId = await orgWithMembers(t().app, owner, [
        [orgAdmin, "admin"],
        [member, "member"],
      ]);
      const prefix = `org-${tag()}`;
      await pair(owner, prefix, { scope: "org", org_id: orgId });
      expectNamed(await messagesSeenBy(member, prefix), prefix);
      expectHosts(await messagesSeenBy(owner, prefix));
      expectHosts(await messagesSeenBy(orgAdmin, prefix));
      // The member's own connection is theirs to debug.
      const own = `own-${tag()}`;
      await pair(member, own, {});
      expectHosts(await messagesSeenBy(member, own));
    });

    it("every wire format: a plain user's chat, streamed chat, test and model listing name a system connection", async () => {
      const fakes = {
        anthropic: await startFakeAnthropic({ apiKey: KEY, mode: "wrong_shape" }),
        google: await startFakeGoogle({ apiKey: KEY, mode: "wrong_shape" }),
        ollama: await startFakeOllama({ mode: "wrong_shape" }),
        "azure-openai": await startFakeAzureOpenAI({ apiKey: KEY, mode: "wrong_shape" }),
      };
      try {
        const user = await t().newUser();
        for (const [type, fake] of Object.entries(fakes)) {
          const name = `${type}-${tag()}`;
          const { id } = await t().connection(t().admin, {
            name,
            scope: "system",
            provider_type: type,
            base_url: fake.url,
            ...(type === "ollama" ? {} : { api_key: KEY }),
            ...(type === "azure-openai" ? { config: { api_version: "2024-10-21", deployment: "d" } } : {}),
            model: "m",
          });
          const messages: string[] = [];
          for (const stream of [false, true]) {
            const res = await t().app.inject({
              method: "POST",
              url: "/v1/chat/completions",
              headers: user.headers,
              payload: { model: `${name}/m`, stream, messages: [{ role: "user", content: "hi" }] },
            });
            expect(res.statusCode, `${type} stream ${stream}: ${res.body}`).toBe(502);
            messages.push(res.json<{ error: { message: string } }>().error.message);
          }
          const tested = await t().app.inject({
            method: "POST",
            url: `/api/llm-providers/${id}/test`,
            headers: user.headers,
          });
          expect(tested.json<{ health_status: string }>().health_status, tested.body).toBe("failed");
          messages.push(tested.json<{ error: string }>().error);
          const listed = await t().app.inject({
            url: `/api/llm-providers/${id}/models`,
            headers: user.headers,
          });
          expect(listed.statusCode, listed.body).toBe(502);
          messages.push(listed.json<{ detail: string }>().detail);
          for (const message of messages) {
            expect(message, type).toContain(`connection "${name}"`);
            expect(message, type).not.toContain(new URL(fake.url).host);
          }
        }
      } finally {
        for (const fake of Object.values(fakes)) await fake.close();
      }
    });
  },
);
