import { afterAll, beforeAll, expect, it } from "vitest";
import type { InvitationList, MemberView, OrgList, OrgView } from "../../src/domain/orgs/orgs.schemas.js";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

// The hijack a fuzzer found: any user could create an org, add anyone to it by email, and the org's
// default connection (or one named like a system connection) then served the victim's /v1 calls.
// Membership is now by invitation, so this drives the whole attack over the real HTTP app on each
// dialect against two fake upstreams, the trusted one behind the system default and the attacker's,
// and checks that nothing reaches the attacker until the victim accepts. Nothing is faked but the
// upstreams.

const KEY = "sk-upstream-consent-000000000000";

interface ModelList {
  data: { id: string }[];
}

describeEachDialect("org membership needs the member's consent", (dialect) => {
  const t = useTestApp(dialect);
  let trusted: FakeUpstream;
  let attacker: FakeUpstream;

  beforeAll(async () => {
    trusted = await startFakeOpenAI({ apiKey: KEY });
    attacker = await startFakeOpenAI({ apiKey: KEY });
    await t().setting("connections.allow_private_base_urls", true);
    await t().connection(t().admin, {
      name: "shared",
      scope: "system",
      provider_type: "openai-compatible",
      base_url: `${trusted.url}/v1`,
      api_key: KEY,
      model: "sys-model",
    });
  });
  afterAll(async () => {
    await trusted?.close();
    await attacker?.close();
  });

  function chat(user: TestUser, model: string, content: string) {
    return t().app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: user.headers,
      payload: { model, messages: [{ role: "user", content }] },
    });
  }

  function get(user: TestUser, url: string) {
    return t().app.inject({ method: "GET", url, headers: user.headers });
  }

  /** The prompts an upstream has received, as sent. */
  const prompts = (upstream: FakeUpstream) => upstream.requests.map((r) => r.body).join("\n");

  /** An org created by `owner`, as any user may create one. */
  async function orgOf(owner: TestUser, name: string): Promise<OrgView> {
    const created = await t().app.inject({
      method: "POST",
      url: "/api/orgs",
      headers: owner.headers,
      payload: { name },
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json<OrgView>();
  }

  /** A connection of the org to the attacker's upstream. */
  const attackerConnection = (owner: TestUser, orgId: string, name: string, model: string) =>
    t().connection(owner, {
      name,
      scope: "org",
      org_id: orgId,
      provider_type: "openai-compatible",
      base_url: `${attacker.url}/v1`,
      api_key: KEY,
      model,
    });

  it("an org alice was added to without accepting takes none of her /v1 calls, until she accepts", async () => {
    const bob = await t().newUser();
    const alice = await t().newUser();
    const org = await orgOf(bob, "Totally legit");
    // The org's default, and a connection named like the system one so as to shadow it by name.
    const orgDefault = await attackerConnection(bob, org.id, "relay", "evil-model");
    const shadow = await attackerConnection(bob, org.id, "shared", "sys-model");

    const added = await t().app.inject({
      method: "POST",
      url: `/api/orgs/${org.id}/members`,
      headers: bob.headers,
      payload: { email: alice.email, role: "member" },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json<MemberView>().status).toBe("invited");

    const before = attacker.requests.length;
    const trustedBefore = trusted.requests.length;
    for (const model of ["gpt-4o", "shared/sys-model", "relay/evil-model"]) {
      const res = await chat(alice, model, `secret prompt via ${model}`);
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(attacker.requests.length).toBe(before);
    expect(prompts(attacker)).not.toContain("secret prompt");
    expect(trusted.requests.length).toBe(trustedBefore + 3);
    expect(prompts(trusted)).toContain("secret prompt via shared/sys-model");

    // Nothing of the org shows anywhere alice looks, except as an invitation.
    const models = (await get(alice, "/v1/models")).json<ModelList>().data.map((m) => m.id);
    expect(models).toContain("shared/sys-model");
    expect(models).not.toContain("relay/evil-model");
    expect((await get(alice, "/api/orgs")).json<OrgList>().items).toEqual([]);
    const connections = await get(alice, "/api/llm-providers");
    expect(connections.statusCode, connections.body).toBe(200);
    expect(connections.body).not.toContain(orgDefault.id);
    expect(connections.body).not.toContain(shadow.id);
    expect((await get(alice, `/api/llm-providers/${orgDefault.id}`)).statusCode).toBe(404);
    expect((await get(alice, `/api/orgs/${org.id}`)).statusCode).toBe(404);
    expect((await get(alice, "/api/users/me/invitations")).json<InvitationList>().items).toEqual([
      expect.objectContaining({ org_id: org.id, name: org.name, slug: org.slug, role: "member" }),
    ]);

    // She accepts: from the very next call the org's connections serve her, as for any member.
    const accepted = await t().app.inject({
      method: "POST",
      url: `/api/orgs/${org.id}/invitation/accept`,
      headers: alice.headers,
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json<OrgView>()).toMatchObject({ id: org.id, role: "member" });
    const byDefault = await chat(alice, "gpt-4o", "now through the org");
    expect(byDefault.statusCode, byDefault.body).toBe(200);
    const byName = await chat(alice, "relay/evil-model", "now by name");
    expect(byName.statusCode, byName.body).toBe(200);
    expect(attacker.requests.length).toBe(before + 2);
    expect(prompts(attacker)).toContain("now through the org");
    expect((await get(alice, "/v1/models")).json<ModelList>().data.map((m) => m.id)).toContain(
      "relay/evil-model",
    );
    expect((await get(alice, "/api/orgs")).json<OrgList>().items.map((o) => o.id)).toEqual([org.id]);
  });

  it("a declined or withdrawn invitation never lets the org's connections in", async () => {
    const bob = await t().newUser();
    const alice = await t().newUser();
    const org = await orgOf(bob, "Try again");
    await attackerConnection(bob, org.id, "again", "evil-model");
    const invite = () =>
      t().app.inject({
        method: "POST",
        url: `/api/orgs/${org.id}/members`,
        headers: bob.headers,
        payload: { user_id: alice.id, role: "owner" },
      });
    const before = attacker.requests.length;

    expect((await invite()).statusCode).toBe(201);
    const declined = await t().app.inject({
      method: "DELETE",
      url: `/api/orgs/${org.id}/members/${alice.id}`,
      headers: alice.headers,
    });
    expect(declined.statusCode, declined.body).toBe(204);
    expect((await invite()).statusCode).toBe(201);
    const withdrawn = await t().app.inject({
      method: "DELETE",
      url: `/api/orgs/${org.id}/members/${alice.id}`,
      headers: bob.headers,
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(204);

    const late = await t().app.inject({
      method: "POST",
      url: `/api/orgs/${org.id}/invitation/accept`,
      headers: alice.headers,
    });
    expect(late.statusCode, late.body).toBe(404);
    for (const model of ["gpt-4o", "again/evil-model"]) {
      expect((await chat(alice, model, "still mine")).statusCode).toBe(200);
    }
    expect(attacker.requests.length).toBe(before);
    expect((await get(alice, "/api/users/me/invitations")).json<InvitationList>().items).toEqual([]);
  });
});
