import { describe, expect, it } from "vitest";
import {
  CIRCULAR_MARK,
  isSecretName,
  MAX_DEPTH,
  MAX_ENTRIES,
  MAX_NODES,
  MAX_STRING_LENGTH,
  REDACTED,
  redactSecrets,
  redactString,
  redactValue,
  TRUNCATED_MARK,
} from "../../src/domain/audit/redact.js";

// Pure functions; nothing to fake.

const SY_KEY = "sy-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-";
const OPENAI_KEY = "sk-proj-abcdefghijklmnop1234";
const ANTHROPIC_KEY = "sk-ant-api03-AbCdEfGhIjKlMnOpQrSt";
const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

describe("redactSecrets: secret names", () => {
  const names = [
    "password",
    "passwd",
    "secret",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "key",
    "authorization",
    "cookie",
    "master_key",
    "private_key",
    "credential",
    "credentials",
  ];

  it.each(names)("redacts %s", (name) => {
    expect(redactSecrets({ [name]: "plain-looking value", other: 1 })).toEqual({
      [name]: REDACTED,
      other: 1,
    });
  });

  it.each([
    "PASSWORD",
    "Password",
    "accessToken",
    "AccessToken",
    "access-token",
    "ACCESS_TOKEN",
    "refreshToken",
    "refresh-token",
    "apiKey",
    "api-key",
    "API_KEY",
    "Api-Key",
    "KEY",
    "Authorization",
    "AUTHORIZATION",
    "Cookie",
    "masterKey",
    "master-key",
    "MASTER_KEY",
    "privateKey",
    "private-key",
    "Credentials",
  ])("redacts the variation %s", (name) => {
    expect(isSecretName(name)).toBe(true);
    expect(redactSecrets({ [name]: "x" })).toEqual({ [name]: REDACTED });
  });

  it.each([
    "new_password",
    "oldPassword",
    "password_hash",
    "client_secret",
    "session_token",
    "x-api-key",
    "openai_api_key",
    "set-cookie",
    "proxy-authorization",
    "api_key_encrypted",
  ])("redacts the compound name %s", (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    "key_id",
    "keyId",
    "idempotency_key",
    "api_key_id",
    "api_key_hint",
    "max_tokens",
    "input_tokens",
    "token_type",
    "monkey",
    "keyboard",
    "email",
    "name",
    "provider_type",
    "",
  ])("leaves %s alone", (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  it("replaces a secret-named object or array whole, not just its strings", () => {
    expect(
      redactSecrets({ credentials: { user: "u", pass: "p" }, token: ["a", "b"], password: 1234 }),
    ).toEqual({
      credentials: REDACTED,
      token: REDACTED,
      password: REDACTED,
    });
  });

  it("keeps a boolean or null under a secret name: it says whether a secret is set, not what it is", () => {
    expect(redactSecrets({ api_key: null, has_api_key: true, password: false })).toEqual({
      api_key: null,
      has_api_key: true,
      password: false,
    });
  });
});

describe("redactSecrets: secret values", () => {
  it.each([
    ["a Switchyard API key", SY_KEY],
    ["an OpenAI key", OPENAI_KEY],
    ["an OpenAI key without a project", "sk-abcdefghijklmnop"],
    ["an Anthropic key", ANTHROPIC_KEY],
    ["a JWT", JWT],
    ["a bearer token", "Bearer abc.def-123"],
    ["a lowercase bearer token", "bearer abc"],
  ])("replaces %s under an innocent name", (_label, value) => {
    expect(redactSecrets({ note: value })).toEqual({ note: REDACTED });
  });

  it("replaces a secret inside longer text and keeps the rest", () => {
    const out = redactSecrets({
      error: `upstream said: invalid key ${OPENAI_KEY} (Authorization: Bearer ${JWT})`,
    });
    expect(out.error).toBe(`upstream said: invalid key ${REDACTED} (Authorization: ${REDACTED})`);
  });

  it("replaces the password in a URL and keeps the rest of it", () => {
    expect(redactString("postgres://app:hunter2@db.internal:5432/sy")).toBe(
      `postgres://app:${REDACTED}@db.internal:5432/sy`,
    );
  });

  it("replaces a PEM private key block", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----";
    expect(redactString(`key file: ${pem} end`)).toBe(`key file: ${REDACTED} end`);
  });

  it("leaves strings that only resemble secrets", () => {
    const harmless = {
      short_sy: "sy-short",
      short_sk: "sk-tooshort",
      word: "easy-AbCdEfGhIjKlMnOpQrStUvWxYz",
      task: "task-abcdefghijklmnopqrstu",
      not_jwt: "eyJ-but-no-dots",
      model: "gpt-4o-mini",
      id: "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
      url: "https://api.openai.com/v1",
    };
    expect(redactSecrets(harmless)).toEqual(harmless);
  });

  it("checks property names for secret values too", () => {
    expect(Object.keys(redactSecrets({ [SY_KEY]: 1 }))).toEqual([REDACTED]);
  });
});

describe("redactSecrets: structure", () => {
  it("returns a deep copy and leaves the input as it was", () => {
    const input = { a: { b: [{ password: "hunter2", keep: "yes" }] } };
    const snapshot = structuredClone(input);
    const out = redactSecrets(input);
    expect(out).toEqual({ a: { b: [{ password: REDACTED, keep: "yes" }] } });
    expect(input).toEqual(snapshot);
    expect(out.a).not.toBe(input.a);
  });

  it("redacts at every depth of nesting", () => {
    const out = redactSecrets({
      connection: { config: { headers: { Authorization: "Basic dXNlcjpwYXNz", "X-Trace": "t1" } } },
    });
    expect(out).toEqual({
      connection: { config: { headers: { Authorization: REDACTED, "X-Trace": "t1" } } },
    });
  });

  it("redacts inside arrays, of values and of objects", () => {
    const out = redactSecrets({
      keys: [SY_KEY, "not-a-key", { token: "t" }, [OPENAI_KEY]],
    });
    expect(out).toEqual({ keys: [REDACTED, "not-a-key", { token: REDACTED }, [REDACTED]] });
  });

  it("leaves non-secret fields untouched", () => {
    const details = {
      email: "ada@example.test",
      name: "work laptop",
      provider_type: "openai",
      base_url: "https://api.openai.com/v1",
      model: "gpt-4o",
      timeout_seconds: 60,
      is_default: true,
      context_window: null,
      scopes: ["chat", "models"],
      changes: { from: "closed", to: "open" },
      max_tokens: 1024,
      key_id: "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
    };
    expect(redactSecrets(details)).toEqual(details);
  });

  it("survives a cycle, marking where it closes", () => {
    const a: Record<string, unknown> = { name: "a", password: "p" };
    const b: Record<string, unknown> = { name: "b", parent: a };
    a.child = b;
    a.list = [a, b];
    const out = redactSecrets(a);
    expect(out).toEqual({
      name: "a",
      password: REDACTED,
      child: { name: "b", parent: CIRCULAR_MARK },
      list: [CIRCULAR_MARK, { name: "b", parent: CIRCULAR_MARK }],
    });
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it("copies a shared (not circular) object at each place it appears", () => {
    const shared = { x: 1 };
    expect(redactSecrets({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it("cuts nesting deeper than the limit", () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = { next: deep };
    const out = JSON.stringify(redactSecrets(deep));
    expect(out).toContain(TRUNCATED_MARK);
    expect(out).not.toContain("leaf");
  });

  it("cuts long strings to the limit", () => {
    const out = redactSecrets({ note: "a".repeat(5000) });
    expect(out.note).toHaveLength(MAX_STRING_LENGTH);
    expect(out.note).toBe(`${"a".repeat(MAX_STRING_LENGTH - TRUNCATED_MARK.length)}${TRUNCATED_MARK}`);
  });

  it("redacts a key before cutting, so no prefix of it survives at the edge", () => {
    const out = redactSecrets({ note: `${"a".repeat(MAX_STRING_LENGTH - 20)} ${SY_KEY}` });
    expect(out.note as string).not.toContain("sy-AbCd");
  });

  it("caps entries per array and per object, and values overall", () => {
    const out = redactSecrets({
      list: Array.from({ length: MAX_ENTRIES + 50 }, (_, i) => i),
      wide: Object.fromEntries(Array.from({ length: MAX_ENTRIES + 5 }, (_, i) => [`k${i}`, i])),
    });
    const list = out.list as unknown[];
    expect(list).toHaveLength(MAX_ENTRIES + 1);
    expect(list.at(-1)).toBe(`${TRUNCATED_MARK} 50 more items`);
    expect(Object.keys(out.wide as object)).toHaveLength(MAX_ENTRIES + 1);

    const huge = redactValue(Array.from({ length: 100 }, () => Array.from({ length: 100 }, () => "x")));
    const leaves = JSON.stringify(huge).match(/"x"/g) ?? [];
    expect(leaves.length).toBeLessThan(MAX_NODES);
  });

  it("turns values JSON cannot hold into ones it can", () => {
    const out = redactSecrets({
      at: new Date("2025-01-02T03:04:05.000Z"),
      big: 12345678901234567890n,
      nan: Number.NaN,
      fn: () => 1,
      missing: undefined,
      sym: Symbol("s"),
      err: new Error(`bad key ${OPENAI_KEY}`),
      bytes: Buffer.from("secret bytes"),
      holes: [undefined, () => 1],
    });
    expect(out).toEqual({
      at: "2025-01-02T03:04:05.000Z",
      big: "12345678901234567890",
      nan: null,
      err: { name: "Error", message: `bad key ${REDACTED}` },
      bytes: "[binary 12 bytes]",
      holes: [null, null],
    });
  });

  it("copies a __proto__ property as data, without touching the copy's prototype", () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const out = redactSecrets(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("makes strings storable in PostgreSQL's jsonb: no NUL, no lone surrogate", () => {
    expect(redactString("a\u0000b")).toBe("ab");
    expect(redactString("x\uD800y")).toBe("x\uFFFDy");
    expect(redactString("ok \u{1F600}")).toBe("ok \u{1F600}");
  });

  it("does not split a surrogate pair when cutting", () => {
    const out = redactString(
      `${"a".repeat(MAX_STRING_LENGTH - TRUNCATED_MARK.length - 1)}\u{1F600}${"tail".repeat(10)}`,
    );
    expect(out.endsWith(TRUNCATED_MARK)).toBe(true);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("reads a getter that throws as unreadable instead of throwing", () => {
    const input = {
      get boom(): string {
        throw new Error("no");
      },
      ok: 1,
    };
    expect(redactSecrets(input)).toEqual({ boom: "[unreadable]", ok: 1 });
  });
});
