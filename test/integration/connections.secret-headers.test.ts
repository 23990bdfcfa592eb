import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { composeSwitchyard } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { Dialect } from "../../src/db/database-url.js";
import { parseJson } from "../../src/db/values.js";
import type { HttpApp } from "../../src/http/http-app.js";
import { createHttpServer } from "../../src/http/server.js";
import { createLogger } from "../../src/logger.js";
import { createConnectionSecretStore } from "../../src/secrets/connection-secret-store.js";
import { connectionHeadersAad, kidOf } from "../../src/secrets/envelope.js";
import { createKeyring } from "../../src/secrets/keyring.js";
import { rotateSecrets } from "../../src/secrets/rotate.js";
import { describeEachDialect } from "../support/databases.js";
import type { FakeUpstream } from "../support/fake-upstreams/fake-server.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";
import { composeForTest } from "../support/switchyard.js";

// A credential-like custom header's value (X-Auth-Token, Ocp-Apim-Subscription-Key) is a secret at
// rest, as the API key is: the row read straight from the database holds it only encrypted, after a
// create, an update, and the conversion of a row stored in plain text before. Real: the HTTP app,
// the keyring, a database of each dialect, and a fake upstream that records the headers it gets.

const KEY = "sk-secret-headers-upstream-key-0123";
const HIDDEN = "[hidden]";

const tag = () => randomBytes(5).toString("hex");
const token = (label: string) => `tok-${label}-${tag()}-secret`;

/** The test app, a fake upstream recording what it gets, and helpers over both, for one suite. */
function useHeaderHarness(dialect: Dialect) {
  const t = useTestApp(dialect);
  let fake: FakeUpstream | undefined;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY, models: ["m"] });
    // The fake listens on loopback, which user connections reach only when an admin allows it.
    await t().setting("connections.allow_private_base_urls", true);
  });
  afterAll(async () => {
    await fake?.close();
  });
  const upstream = () => {
    if (!fake) throw new Error("the fake upstream is ready only inside tests");
    return fake;
  };

  const row = (id: string) =>
    t().sy.db.selectFrom("llm_providers").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const storedHeaders = async (id: string) =>
    parseJson<{ headers?: Record<string, string> }>((await row(id)).config)?.headers;

  /** A new user whose first (so default) connection calls the fake with these custom headers. */
  async function userWithHeaders(headers: Record<string, string>): Promise<{ user: TestUser; id: string }> {
    const user = await t().newUser();
    const { id } = await t().connection(user, {
      name: `hdr-${tag()}`,
      provider_type: "openai-compatible",
      base_url: `${upstream().url}/v1`,
      api_key: KEY,
      model: "m",
      config: { headers },
    });
    return { user, id };
  }

  /**
   * The headers the upstream got for one /v1 chat call and one connection test by `authorization`,
   * through `http` (the test app's, unless another instance is asked).
   */
  async function upstreamGets(
    authorization: string,
    id: string,
    http: Pick<HttpApp, "inject"> = t().app,
  ): Promise<IncomingHttpHeaders[]> {
    const from = upstream().requests.length;
    const chat = await http.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { authorization },
      payload: { model: "m", messages: [{ role: "user", content: "hi" }] },
    });
    expect(chat.statusCode, chat.body).toBe(200);
    const tested = await http.inject({
      method: "POST",
      url: `/api/llm-providers/${id}/test`,
      headers: { authorization },
    });
    expect(tested.statusCode, tested.body).toBe(200);
    expect(tested.json().health_status, tested.body).toBe("ok");
    const sent = upstream().requests.slice(from);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/chat/completions", "GET /v1/models"]);
    return sent.map((r) => r.headers);
  }

  /** Every request carried these headers (names lower-case, as a server reads them). */
  const expectSent = (sent: IncomingHttpHeaders[], want: Record<string, string>) => {
    for (const headers of sent) {
      for (const [name, value] of Object.entries(want)) expect(headers[name.toLowerCase()]).toBe(value);
    }
  };

  /** The row, read straight from the database, holds none of `plain`, and config.headers is `shown`. */
  const expectSealed = async (id: string, plain: string[], shown: Record<string, string>) => {
    const stored = await row(id);
    for (const value of plain) expect(JSON.stringify(stored)).not.toContain(value);
    expect(stored.secret_headers_encrypted).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
    expect(await storedHeaders(id)).toEqual(shown);
  };

  return { t, row, storedHeaders, userWithHeaders, upstreamGets, expectSent, expectSealed };
}

describeEachDialect("credential-like custom header values at rest", (dialect) => {
  const { t, row, storedHeaders, userWithHeaders, upstreamGets, expectSent, expectSealed } =
    useHeaderHarness(dialect);
  /** Every secret value this suite stores, for expectNoLeaks. */
  const secrets: string[] = [];
  const secret = (label: string) => {
    const value = token(label);
    secrets.push(value);
    return value;
  };
  /** No value stored so far is in a response, a log line or an audit entry. */
  const expectNoLeaks = async () => {
    const audit = JSON.stringify(await t().sy.db.selectFrom("audit_logs").selectAll().execute());
    for (const value of secrets) {
      expect(t().bodies()).not.toContain(value);
      expect(t().logs.text()).not.toContain(value);
      expect(audit).not.toContain(value);
    }
  };

  it("create and update store them only encrypted; the upstream gets them on /v1 and the connection test; views hide them; other headers stay plain", async () => {
    const auth = secret("AUTH");
    const sub = secret("SUBKEY");
    const { user, id } = await userWithHeaders({
      "X-Auth-Token": auth,
      "Ocp-Apim-Subscription-Key": sub,
      "X-Team": "research",
    });
    const shown = { "X-Auth-Token": HIDDEN, "Ocp-Apim-Subscription-Key": HIDDEN, "X-Team": "research" };
    await expectSealed(id, [auth, sub], shown);
    expectSent(await upstreamGets(user.headers.authorization!, id), {
      "x-auth-token": auth,
      "ocp-apim-subscription-key": sub,
      "x-team": "research",
    });

    const viewed = await t().app.inject({ url: `/api/llm-providers/${id}`, headers: user.headers });
    expect(viewed.json().config.headers).toEqual(shown);

    // Saving back what was shown, with a plain header changed: the secret values are kept, encrypted.
    const saved = await t().app.inject({
      method: "PUT",
      url: `/api/llm-providers/${id}`,
      headers: user.headers,
      payload: { config: { headers: { ...shown, "X-Team": "platform" } } },
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().config.headers).toEqual({ ...shown, "X-Team": "platform" });
    await expectSealed(id, [auth, sub], { ...shown, "X-Team": "platform" });
    expectSent(await upstreamGets(user.headers.authorization!, id), {
      "x-auth-token": auth,
      "ocp-apim-subscription-key": sub,
      "x-team": "platform",
    });

    // A new value replaces the old one, encrypted too; the one sent back hidden is kept.
    const next = secret("AUTH2");
    const replaced = await t().app.inject({
      method: "PUT",
      url: `/api/llm-providers/${id}`,
      headers: user.headers,
      payload: {
        config: {
          headers: { "X-Auth-Token": next, "Ocp-Apim-Subscription-Key": HIDDEN, "X-Team": "platform" },
        },
      },
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    await expectSealed(id, [auth, sub, next], { ...shown, "X-Team": "platform" });
    expectSent(await upstreamGets(user.headers.authorization!, id), {
      "x-auth-token": next,
      "ocp-apim-subscription-key": sub,
    });

    // Without credential-like headers, nothing is kept encrypted.
    const plainOnly = await t().app.inject({
      method: "PUT",
      url: `/api/llm-providers/${id}`,
      headers: user.headers,
      payload: { config: { headers: { "X-Team": "platform" } } },
    });
    expect(plainOnly.statusCode, plainOnly.body).toBe(200);
    expect((await row(id)).secret_headers_encrypted).toBeNull();
    expect(await storedHeaders(id)).toEqual({ "X-Team": "platform" });

    // Nor do the audit entries of the create and the updates carry them.
    const audit = await t()
      .sy.db.selectFrom("audit_logs")
      .selectAll()
      .where("resource_id", "=", id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["connection.create", "connection.update"]),
    );
    await expectNoLeaks();
  });

  it("a row stored with plain values before is used as it is, then encrypted at start-up, once", async () => {
    const legacy = secret("LEGACY");
    const { user, id } = await userWithHeaders({ "X-Team": "legacy" });
    // As an earlier version stored it: the value in the config JSON.
    await t()
      .sy.db.updateTable("llm_providers")
      .set({ config: JSON.stringify({ headers: { "X-Auth-Token": legacy, "X-Team": "legacy" } }) })
      .where("id", "=", id)
      .execute();
    await t().sy.resolver.invalidateAll();
    expectSent(await upstreamGets(user.headers.authorization!, id), { "x-auth-token": legacy });

    const masterKey = t().sy.config.masterKey!.toString("base64");
    const restarted = await composeForTest({ databaseUrl: t().testDb.url, masterKey });
    try {
      await expectSealed(id, [legacy], { "X-Auth-Token": HIDDEN, "X-Team": "legacy" });
      expect(restarted.logs.text()).toContain("moved the plain values of credential-like custom headers");
      expect(restarted.logs.text()).not.toContain(legacy);
    } finally {
      await restarted.sy.close();
    }
    const sealed = (await row(id)).secret_headers_encrypted;

    // Idempotent: another start leaves the sealed row as it is.
    const again = await composeForTest({ databaseUrl: t().testDb.url, masterKey });
    await again.sy.close();
    expect((await row(id)).secret_headers_encrypted).toBe(sealed);

    await t().sy.resolver.invalidateAll();
    expectSent(await upstreamGets(user.headers.authorization!, id), {
      "x-auth-token": legacy,
      "x-team": "legacy",
    });
    const viewed = await t().app.inject({ url: `/api/llm-providers/${id}`, headers: user.headers });
    expect(viewed.json().config.headers).toEqual({ "X-Auth-Token": HIDDEN, "X-Team": "legacy" });
    await expectNoLeaks();
  });

  it("a plain value an older instance wrote beside encrypted ones is encrypted with them at start-up", async () => {
    const kept = secret("KEPT");
    const added = secret("ADDED");
    const { user, id } = await userWithHeaders({ "X-Auth-Token": kept });
    // An instance of an earlier version saved the config it read, with a new credential-like header.
    await t()
      .sy.db.updateTable("llm_providers")
      .set({ config: JSON.stringify({ headers: { "X-Auth-Token": HIDDEN, "X-Session-Id": added } }) })
      .where("id", "=", id)
      .execute();
    await t().sy.resolver.invalidateAll();
    expectSent(await upstreamGets(user.headers.authorization!, id), {
      "x-auth-token": kept,
      "x-session-id": added,
    });

    const masterKey = t().sy.config.masterKey!.toString("base64");
    const restarted = await composeForTest({ databaseUrl: t().testDb.url, masterKey });
    await restarted.sy.close();
    await expectSealed(id, [kept, added], { "X-Auth-Token": HIDDEN, "X-Session-Id": HIDDEN });
    await t().sy.resolver.invalidateAll();
    expectSent(await upstreamGets(user.headers.authorization!, id), {
      "x-auth-token": kept,
      "x-session-id": added,
    });
    await expectNoLeaks();
  });
});

// Its own database: rotation re-encrypts every row, after which the suite's app cannot read them.
describeEachDialect("credential-like custom header values under key rotation", (dialect) => {
  const { t, row, userWithHeaders, upstreamGets, expectSent } = useHeaderHarness(dialect);

  it("key rotation re-encrypts them under the new key, and the upstream still gets the right value", async () => {
    const value = token("ROTATE");
    const { user, id } = await userWithHeaders({ "X-Auth-Token": value, "X-Team": "rotating" });
    // An API key outlives the master key change (an access token is signed under it).
    const { key: apiKey } = await t().apiKey(user);
    const before = (await row(id)).secret_headers_encrypted!;

    const oldMaster = t().sy.config.masterKey!;
    const newMaster = randomBytes(32);
    const rotating = createKeyring({ current: newMaster, previous: [oldMaster] });
    const result = await rotateSecrets({
      keyring: rotating,
      store: createConnectionSecretStore(t().sy.db, "secret_headers_encrypted"),
      aad: (r) => connectionHeadersAad(r.id, r.ownerKey),
    });
    // The provider key too, as `keys rotate` does, so the new instance below can call the upstream.
    await rotateSecrets({ keyring: rotating, store: createConnectionSecretStore(t().sy.db) });
    expect(result.failed).toEqual([]);
    expect(result.rotated).toBeGreaterThanOrEqual(1);

    const after = await row(id);
    expect(after.secret_headers_encrypted).not.toBe(before);
    expect(kidOf(after.secret_headers_encrypted!)).toBe(createKeyring({ current: newMaster }).currentKid);
    expect(JSON.stringify(after)).not.toContain(value);

    // An instance holding only the new key (the old one dropped) still sends the value.
    const sy = await composeSwitchyard(
      loadConfig({}, { databaseUrl: t().testDb.url, masterKey: newMaster.toString("base64") }),
      { logger: createLogger({ level: "silent" }) },
    );
    const app = await createHttpServer(sy);
    try {
      await app.ready();
      expectSent(await upstreamGets(`Bearer ${apiKey}`, id, app), {
        "x-auth-token": value,
        "x-team": "rotating",
      });
    } finally {
      await app.close();
      await sy.close();
    }
  });
});
