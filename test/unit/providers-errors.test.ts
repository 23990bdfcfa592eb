import { describe, expect, it } from "vitest";
import {
  isRetryableStatus,
  MAX_RETRY_AFTER_SECONDS,
  MAX_UPSTREAM_EXCERPT,
  ProviderError,
  REDACTED,
  sanitizeUpstreamText,
} from "../../src/providers/errors.js";
import { readGoogleError } from "../../src/providers/google/google-error.js";
import {
  describeUrl,
  joinUrl,
  readGenericUpstreamError,
  retryAfterSeconds,
} from "../../src/providers/http.js";
import { requestHeaders, secretsOf } from "../../src/providers/request-headers.js";

// Pure functions; nothing to fake.

const OPENAI_KEY = "sk-proj-Abc123Def456Ghi789Jkl012";
const AZURE_KEY = "0123456789abcdef0123456789abcdef";
const PLAIN_KEY = "my-local-proxy-key";

describe("sanitizeUpstreamText", () => {
  it("redacts the given secret wherever the upstream echoes it", () => {
    const body = `{"error":"key ${PLAIN_KEY} is not valid; got '${PLAIN_KEY}'"}`;
    const out = sanitizeUpstreamText(body, [PLAIN_KEY]);
    expect(out).not.toContain(PLAIN_KEY);
    expect(out).toContain(REDACTED);
  });

  it("redacts a secret echoed altered: in another case, spaced out, or without its vendor prefix", () => {
    const key = "sk-upstream-fuzz-answers-000000000000";
    const echoes = [
      key.toUpperCase(),
      key.slice(3), // no sk-
      key.replace(/^sk-upstream-/, ""),
      [...key].join(" "),
      `${key.slice(0, 20)}\n${key.slice(20)}`,
    ];
    for (const echo of echoes) {
      const out = sanitizeUpstreamText(`{"error":"invalid key '${echo}'"}`, [key]);
      expect(out, echo).toContain(REDACTED);
      expect(out.replace(/\s/g, "").toLowerCase(), echo).not.toContain("fuzz-answers-000000000000");
    }
    // A short secret is matched exactly only: loosely it would eat ordinary words.
    expect(sanitizeUpstreamText("the Model is busy", ["model"])).toBe("the Model is busy");
  });

  it("redacts the URL-encoded form of a secret", () => {
    const key = "k3y/with+special=chars";
    const out = sanitizeUpstreamText(`GET /v1/models?key=${encodeURIComponent(key)} failed`, [key]);
    expect(out).not.toContain(encodeURIComponent(key));
    expect(out).not.toContain(key);
  });

  it("redacts key-shaped tokens it was not told about", () => {
    const cases = [
      `Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.`,
      `Incorrect API key provided: ${OPENAI_KEY}.`,
      "bad key sk-ant-api03-AbCdEfGhIjKlMnOpQrSt_uvwxyz-0123",
      "your key sy-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 was revoked",
      "header was Authorization: Bearer abc.def-ghi_jkl",
      "Basic dXNlcjpwYXNzd29yZA== refused",
      "API key AIzaSyA1bCdEfGhIjKlMnOpQrStUvWxYz012345 expired",
      `api-key: ${AZURE_KEY} denied`,
      "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
      `{"x-api-key":"abc-def-ghi"}`,
    ];
    for (const text of cases) {
      const out = sanitizeUpstreamText(text, []);
      expect(out, text).toContain(REDACTED);
      expect(out, text).not.toMatch(/sk-|sy-|AIza|eyJ|abc\.def|dXNlcjpw|abc-def-ghi/);
      expect(out, text).not.toContain(AZURE_KEY);
    }
  });

  it("keeps the other words of the message", () => {
    const out = sanitizeUpstreamText(
      `Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.`,
      [],
    );
    expect(out).toBe(
      `Incorrect API key provided: ${REDACTED}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    );
    expect(sanitizeUpstreamText("API key not valid. Please pass a valid API key.", [])).toBe(
      "API key not valid. Please pass a valid API key.",
    );
    expect(sanitizeUpstreamText("task-runner and easy-mode are fine", [])).toBe(
      "task-runner and easy-mode are fine",
    );
  });

  it(`cuts long bodies to ${MAX_UPSTREAM_EXCERPT} characters`, () => {
    const out = sanitizeUpstreamText("lorem ipsum ".repeat(500), []);
    expect(out.length).toBeLessThanOrEqual(MAX_UPSTREAM_EXCERPT);
    expect(out.endsWith("…")).toBe(true);
    expect(sanitizeUpstreamText("short", [])).toBe("short");
  });

  it("redacts before cutting, so a key at the edge leaves no fragment", () => {
    const text = `${"a ".repeat(95)}${PLAIN_KEY}${"b ".repeat(100)}`;
    const out = sanitizeUpstreamText(text, [PLAIN_KEY]);
    expect(out.length).toBeLessThanOrEqual(MAX_UPSTREAM_EXCERPT);
    expect(out).not.toContain(PLAIN_KEY.slice(0, 6));
  });

  it("collapses whitespace and control characters", () => {
    expect(sanitizeUpstreamText("line one\r\n\tline\u0000two\u001b[31m  ", [])).toBe(
      "line one line two [31m",
    );
  });

  it("does not split a surrogate pair at the cut", () => {
    const out = sanitizeUpstreamText(`${"x".repeat(MAX_UPSTREAM_EXCERPT - 2)}😀😀😀`, []);
    expect(out.length).toBeLessThanOrEqual(MAX_UPSTREAM_EXCERPT);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("ignores empty secrets", () => {
    expect(sanitizeUpstreamText("plain text", ["", ""])).toBe("plain text");
  });
});

describe("ProviderError", () => {
  it("derives isRetryable from kind and status", () => {
    expect(new ProviderError("auth", "x", { status: 401 }).isRetryable).toBe(false);
    expect(new ProviderError("bad_response", "x", { status: 200 }).isRetryable).toBe(false);
    expect(new ProviderError("blocked_address", "x").isRetryable).toBe(false);
    expect(new ProviderError("rate_limited", "x", { status: 429 }).isRetryable).toBe(true);
    expect(new ProviderError("timeout", "x").isRetryable).toBe(true);
    expect(new ProviderError("unreachable", "x").isRetryable).toBe(true);
    expect(new ProviderError("upstream_error", "x", { status: 500 }).isRetryable).toBe(true);
    expect(new ProviderError("upstream_error", "x", { status: 503 }).isRetryable).toBe(true);
    expect(new ProviderError("upstream_error", "x", { status: 408 }).isRetryable).toBe(true);
    expect(new ProviderError("upstream_error", "x", { status: 409 }).isRetryable).toBe(true);
    expect(new ProviderError("upstream_error", "x", { status: 404 }).isRetryable).toBe(false);
    expect(new ProviderError("upstream_error", "x", { status: 400 }).isRetryable).toBe(false);
    expect(new ProviderError("unreachable", "x", { isRetryable: false }).isRetryable).toBe(false);
  });

  it("isRetryableStatus covers 408, 409, 429 and 5xx", () => {
    expect([400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 529].filter(isRetryableStatus)).toEqual([
      408, 409, 429, 500, 502, 503, 529,
    ]);
  });

  it("keeps a retry hint within 0 s and a day, in whole seconds", () => {
    const hint = (seconds: number | undefined) =>
      new ProviderError("rate_limited", "x", { retryAfterSeconds: seconds }).retryAfterSeconds;
    expect(hint(undefined)).toBeUndefined();
    expect(hint(NaN)).toBeUndefined();
    expect(hint(1.2)).toBe(2);
    expect(hint(-5)).toBe(0);
    expect(hint(999_999_999)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(hint(Infinity)).toBe(MAX_RETRY_AFTER_SECONDS);
  });

  it("reads Retry-After as seconds or an HTTP date; a negative number or other text is no hint", () => {
    const read = (value: string) => retryAfterSeconds({ "retry-after": value });
    expect(read("7")).toBe(7);
    expect(read("0.5")).toBe(1);
    expect(read("-5")).toBeUndefined();
    expect(read("soon")).toBeUndefined();
    expect(read("")).toBeUndefined();
    expect(read("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(0); // past: retry now
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(read(inTenSeconds)).toBeGreaterThanOrEqual(9);
    expect(read(inTenSeconds)).toBeLessThanOrEqual(11);
    expect(retryAfterSeconds({ "retry-after-ms": "1500", "retry-after": "9" })).toBe(2);
  });

  it("redacts key-shaped tokens even in a message built carelessly", () => {
    const error = new ProviderError("auth", `rejected ${OPENAI_KEY} (Bearer ${OPENAI_KEY})`);
    expect(error.message).not.toContain(OPENAI_KEY);
    expect(error.name).toBe("ProviderError");
  });
});

describe("upstream error bodies", () => {
  it("reads the message of every major shape", () => {
    expect(readGenericUpstreamError(401, { error: { message: "m1", type: "t" } }).message).toBe("m1");
    expect(readGenericUpstreamError(500, { error: "m2" }).message).toBe("m2");
    expect(readGenericUpstreamError(400, { message: "m3" }).message).toBe("m3");
    expect(readGenericUpstreamError(400, { detail: "m4" }).message).toBe("m4");
    expect(readGenericUpstreamError(400, undefined)).toEqual({});
    expect(readGenericUpstreamError(400, ["x"])).toEqual({});
  });

  it("reads Google's invalid key (HTTP 400) as auth and its RetryInfo as the wait", () => {
    const invalid = readGoogleError(400, {
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }],
      },
    });
    expect(invalid).toEqual({ message: "API key not valid. Please pass a valid API key.", kind: "auth" });
    const quota = readGoogleError(429, {
      error: {
        code: 429,
        message: "quota",
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "36.5s" }],
      },
    });
    expect(quota.retryAfterSeconds).toBe(37);
    expect(quota.kind).toBeUndefined();
    expect(
      readGoogleError(400, { error: { code: 400, message: "bad", status: "INVALID_ARGUMENT" } }).kind,
    ).toBe(undefined);
  });
});

describe("URLs and headers", () => {
  it("joins a path onto a base keeping the base's path", () => {
    expect(joinUrl("https://api.openai.com/v1", "models")).toBe("https://api.openai.com/v1/models");
    expect(joinUrl("https://api.openai.com/v1/", "/models")).toBe("https://api.openai.com/v1/models");
    expect(joinUrl("https://api.anthropic.com", "v1/models", { limit: 1000, after_id: undefined })).toBe(
      "https://api.anthropic.com/v1/models?limit=1000",
    );
  });

  it("joins the same way when the answer was remembered, and never remembers a query or userinfo", () => {
    for (let i = 0; i < 2; i++) {
      expect(joinUrl("https://api.openai.com/v1", "chat/completions")).toBe(
        "https://api.openai.com/v1/chat/completions",
      );
      expect(joinUrl("https://api.openai.com/v1/", "chat/completions")).toBe(
        "https://api.openai.com/v1/chat/completions",
      );
      expect(joinUrl("https://x.example/v1", "models", { page: i })).toBe(
        `https://x.example/v1/models?page=${i}`,
      );
      expect(joinUrl("https://u:p@x.example/v1", "models")).toBe("https://u:p@x.example/v1/models");
    }
  });

  it("describes a URL the same way whether or not it was seen before, never with a query, userinfo or secret", () => {
    for (let i = 0; i < 2; i++) {
      expect(describeUrl("https://api.openai.com/v1/chat/completions")).toBe(
        "api.openai.com/v1/chat/completions",
      );
      expect(describeUrl("https://u:pw@x.example:8443/v1/models?key=abc")).toBe("x.example:8443/v1/models");
      expect(describeUrl("https://x.example/sk-secret-123/v1", ["sk-secret-123"])).not.toContain(
        "sk-secret-123",
      );
    }
  });

  it("describes a URL without userinfo or query", () => {
    expect(describeUrl("https://user:pw@x.example.com:8443/v1beta/models?key=AIzaSecret")).toBe(
      "x.example.com:8443/v1beta/models",
    );
  });

  it("lets the format's auth headers win over custom ones, case-insensitively", () => {
    const headers = requestHeaders(
      { headers: { Authorization: "Bearer custom", "X-Trace": "1" } },
      { authorization: "Bearer real", "x-absent": undefined },
    );
    expect(headers.authorization).toBe("Bearer real");
    expect(headers["x-trace"]).toBe("1");
    expect(headers).not.toHaveProperty("x-absent");
    expect(headers["user-agent"]).toMatch(/^switchyard\//);
  });

  it("treats the key and secret-named custom header values as secrets", () => {
    expect(
      secretsOf({
        apiKey: "k-1",
        headers: { "X-Proxy-Authorization": "Bearer tok-2", "X-Trace": "visible" },
      }),
    ).toEqual(["k-1", "Bearer tok-2", "tok-2"]);
  });
});
