import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createProviderDispatchers } from "../../src/providers/dispatchers.js";
import { ProviderError } from "../../src/providers/errors.js";
import { getJson } from "../../src/providers/http.js";
import { adapterFor } from "../../src/providers/registry.js";
import type { ProviderTarget, ProviderType } from "../../src/providers/spec.js";
import { checkBaseUrl, createGuardedDispatcher, type ResolveHost } from "../../src/providers/ssrf.js";
import { startFakeAnthropic } from "../support/fake-upstreams/anthropic.js";
import { startFakeAzureOpenAI } from "../support/fake-upstreams/azure-openai.js";
import type {
  FakeUpstream,
  FakeUpstreamOptions,
  RecordedRequest,
} from "../support/fake-upstreams/fake-server.js";
import { startFakeGoogle } from "../support/fake-upstreams/google.js";
import { startFakeOllama } from "../support/fake-upstreams/ollama.js";
import { startFakeOpenAI } from "../support/fake-upstreams/openai.js";

// Real: the adapters, undici, the guarded dispatchers, sockets on 127.0.0.1.
// Fakes: the upstreams (node:http servers speaking each wire format, test/support/fake-upstreams/)
// and, where a test says so, DNS (an injected resolver, to play rebinding).

const TIMEOUT_MS = 300;

const dispatchers = createProviderDispatchers();
// The fakes listen on loopback, so every test but the SSRF ones uses the allowPrivate policy.
const loopbackOk = dispatchers.forPolicy({ allowPrivate: true });

afterAll(() => dispatchers.close());

interface FormatCase {
  name: string;
  providerType: ProviderType;
  start(options: FakeUpstreamOptions): Promise<FakeUpstream>;
  baseUrlOf(fake: FakeUpstream): string;
  apiKey: string;
  models: string[];
  expectedIds: string[];
  /** The header that carries the key, and its value for apiKey. */
  authHeader: string;
  authValue(key: string): string;
  /** What the upstream answers a wrong key with (Gemini says 400, not 401). */
  unauthorizedStatus: number;
  retryAfterSeconds: number;
  extraTarget?: Partial<ProviderTarget>;
}

const cases: FormatCase[] = [
  {
    name: "openai",
    providerType: "openai",
    start: startFakeOpenAI,
    baseUrlOf: (fake) => `${fake.url}/v1`,
    apiKey: "sk-proj-TestKey0123456789abcdefXYZ",
    models: ["gpt-4o", "gpt-4o-mini"],
    expectedIds: ["gpt-4o", "gpt-4o-mini"],
    authHeader: "authorization",
    authValue: (key) => `Bearer ${key}`,
    unauthorizedStatus: 401,
    retryAfterSeconds: 20,
  },
  {
    name: "azure-openai",
    providerType: "azure-openai",
    start: startFakeAzureOpenAI,
    baseUrlOf: (fake) => fake.url,
    apiKey: "0123456789abcdef0123456789abcdef",
    models: ["gpt-4o-2024-08-06", "text-embedding-3-large"],
    expectedIds: ["gpt-4o-2024-08-06", "text-embedding-3-large"],
    authHeader: "api-key",
    authValue: (key) => key,
    unauthorizedStatus: 401,
    retryAfterSeconds: 6,
    extraTarget: { azure: { apiVersion: "2024-10-21" } },
  },
  {
    name: "anthropic",
    providerType: "anthropic",
    start: startFakeAnthropic,
    baseUrlOf: (fake) => fake.url,
    apiKey: "sk-ant-api03-TestKey0123456789abcdef-XYZ",
    models: ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"],
    expectedIds: ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"],
    authHeader: "x-api-key",
    authValue: (key) => key,
    unauthorizedStatus: 401,
    retryAfterSeconds: 12,
  },
  {
    name: "google",
    providerType: "google",
    start: startFakeGoogle,
    baseUrlOf: (fake) => fake.url,
    apiKey: "AIzaSyTestKey0123456789abcdefghijklmno",
    models: ["gemini-2.5-flash", "gemini-2.5-pro"],
    expectedIds: ["gemini-2.5-flash", "gemini-2.5-pro"],
    authHeader: "x-goog-api-key",
    authValue: (key) => key,
    unauthorizedStatus: 400,
    retryAfterSeconds: 37,
  },
  {
    name: "ollama (behind an authenticating proxy)",
    providerType: "ollama",
    start: startFakeOllama,
    baseUrlOf: (fake) => fake.url,
    apiKey: "ollama-proxy-secret-0123456789",
    models: ["llama3.2:latest", "qwen2.5-coder:7b"],
    expectedIds: ["llama3.2:latest", "qwen2.5-coder:7b"],
    authHeader: "authorization",
    authValue: (key) => `Bearer ${key}`,
    unauthorizedStatus: 401,
    retryAfterSeconds: 5,
  },
];

function header(request: RecordedRequest | undefined, name: string): string | undefined {
  const value = request?.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(cases)("$name", (c) => {
  let fake: FakeUpstream;
  const adapter = adapterFor(c.providerType);

  const target = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    providerType: c.providerType,
    baseUrl: c.baseUrlOf(fake),
    apiKey: c.apiKey,
    timeoutMs: TIMEOUT_MS,
    dispatcher: loopbackOk,
    ...c.extraTarget,
    ...overrides,
  });

  beforeAll(async () => {
    fake = await c.start({ apiKey: c.apiKey, models: c.models });
  });
  afterEach(() => {
    fake.setMode("ok");
    fake.requests.length = 0;
  });
  afterAll(() => fake.close());

  it("ok: lists the models, sending the key in the format's header", async () => {
    const models = await adapter.listModels(target());
    expect(models.map((m) => m.id)).toEqual(c.expectedIds);
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.method).toBe("GET");
    expect(header(request, c.authHeader)).toBe(c.authValue(c.apiKey));
    expect(header(request, "user-agent")).toMatch(/^switchyard\//);
    // The key travels in its header only: not in the URL, not in any other header.
    expect(request.path).not.toContain(c.apiKey);
    expect(request.path).not.toMatch(/[?&]key=/);
    const otherHeaders = Object.entries(request.headers).filter(([name]) => name !== c.authHeader);
    expect(JSON.stringify(otherHeaders)).not.toContain(c.apiKey);
  });

  it("checkHealth lists the models (one cheap GET, no completion) and times it", async () => {
    const result = await adapter.checkHealth(target());
    expect(result.models.map((m) => m.id)).toEqual(c.expectedIds);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(TIMEOUT_MS);
    expect(fake.requests.map((r) => r.method)).toEqual(["GET"]);
  });

  it("reuses the keep-alive connection across calls", async () => {
    for (let i = 0; i < 3; i++) {
      await adapter.listModels(target());
      // undici frees the connection a tick after the body ends; a request sent in the same tick
      // opens a second pooled connection, which is keep-alive too, but not this test's point.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(new Set(fake.requests.map((r) => r.remotePort)).size).toBe(1);
  });

  it("a rejected key -> auth, not retryable, message without the key", async () => {
    fake.setMode("unauthorized");
    const error = await failure(adapter.listModels(target()));
    expect(error.kind).toBe("auth");
    expect(error.status).toBe(c.unauthorizedStatus);
    expect(error.isRetryable).toBe(false);
    expect(error.message).not.toContain(c.apiKey);
    expect(error.message).not.toContain(c.apiKey.slice(0, 12));
    expect(error.message).not.toMatch(/bearer|x-api-key:|api-key:/i);
    expect(error.message.length).toBeLessThan(400);
  });

  it("a wrong key (the upstream's own check) -> auth", async () => {
    const error = await failure(adapter.listModels(target({ apiKey: `${c.apiKey}-wrong` })));
    expect(error.kind).toBe("auth");
    expect(error.message).not.toContain(c.apiKey);
  });

  it(`slow (no answer within ${TIMEOUT_MS} ms) -> timeout, retryable`, async () => {
    fake.setMode("slow");
    const started = performance.now();
    const error = await failure(adapter.listModels(target()));
    const elapsed = performance.now() - started;
    expect(error.kind).toBe("timeout");
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain(`${TIMEOUT_MS} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(2000);
  });

  it("a body that stalls after the headers -> timeout", async () => {
    fake.setMode("slow_body");
    const started = performance.now();
    const error = await failure(adapter.listModels(target()));
    expect(error.kind).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("garbage (200 with an HTML page) -> bad_response, not retryable", async () => {
    fake.setMode("garbage");
    const error = await failure(adapter.listModels(target()));
    expect(error.kind).toBe("bad_response");
    expect(error.status).toBe(200);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/not JSON: <!DOCTYPE html>/);
  });

  it("wrong shape (200 with other JSON) -> bad_response naming the path", async () => {
    fake.setMode("wrong_shape");
    const error = await failure(adapter.listModels(target()));
    expect(error.kind).toBe("bad_response");
    expect(error.message).toMatch(/unexpected shape: \//);
  });

  it("500 -> upstream_error, retryable", async () => {
    fake.setMode("server_error");
    const error = await failure(adapter.listModels(target()));
    expect(error.kind).toBe("upstream_error");
    expect(error.status).toBe(500);
    expect(error.isRetryable).toBe(true);
  });

  it("429 -> rate_limited, retryable, with the upstream's wait", async () => {
    fake.setMode("rate_limited");
    const error = await failure(adapter.listModels(target()));
    expect(error.kind).toBe("rate_limited");
    expect(error.status).toBe(429);
    expect(error.isRetryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(c.retryAfterSeconds);
  });

  it("nothing listening -> unreachable, retryable", async () => {
    const port = await closedPort();
    const baseUrl = c.baseUrlOf(fake).replace(/:\d+/, `:${port}`);
    const error = await failure(adapter.listModels(target({ baseUrl })));
    expect(error.kind).toBe("unreachable");
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("the guarded dispatcher refuses the loopback fake without allowPrivate, before any request", async () => {
    const error = await failure(
      adapter.listModels(target({ dispatcher: dispatchers.forPolicy({ allowPrivate: false }) })),
    );
    expect(error.kind).toBe("blocked_address");
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain("127.0.0.1");
    expect(fake.requests).toHaveLength(0);
    // ...and the allowPrivate one connects.
    await expect(
      adapter.listModels(target({ dispatcher: dispatchers.forPolicy({ allowPrivate: true }) })),
    ).resolves.toHaveLength(c.expectedIds.length);
  });

  it("a caller's abort rejects with the caller's reason", async () => {
    fake.setMode("slow");
    const controller = new AbortController();
    const reason = new Error("user went away");
    setTimeout(() => controller.abort(reason), 50);
    await expect(adapter.listModels(target({ timeoutMs: 5000 }), controller.signal)).rejects.toBe(reason);
  });
});

describe("openai specifics", () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: "sk-right-0123456789abcdef", echoKey: true });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(() => fake.close());

  const target = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    providerType: "openai-compatible",
    baseUrl: `${fake.url}/v1`,
    apiKey: "sk-right-0123456789abcdef",
    timeoutMs: TIMEOUT_MS,
    dispatcher: loopbackOk,
    ...overrides,
  });

  it("sends OpenAI-Organization and the connection's custom headers", async () => {
    await adapterFor("openai-compatible").listModels(
      target({ organization: "org-123", headers: { "X-Title": "Switchyard", Authorization: "Bearer nope" } }),
    );
    const request = fake.requests[0];
    expect(header(request, "openai-organization")).toBe("org-123");
    expect(header(request, "x-title")).toBe("Switchyard");
    expect(header(request, "authorization")).toBe("Bearer sk-right-0123456789abcdef");
  });

  it("redacts a key the upstream echoes in full", async () => {
    const wrong = "my-compat-server-key-0123456789";
    const error = await failure(adapterFor("openai-compatible").listModels(target({ apiKey: wrong })));
    expect(error.kind).toBe("auth");
    expect(error.message).toContain("Incorrect API key provided: [redacted]");
    expect(error.message).not.toContain(wrong);
  });

  it("sends no Authorization when the connection has no key (local compatible servers)", async () => {
    const error = await failure(adapterFor("openai-compatible").listModels(target({ apiKey: undefined })));
    expect(header(fake.requests[0], "authorization")).toBeUndefined();
    expect(error.kind).toBe("auth");
  });

  it("a wrong base URL path -> upstream_error 404, not retryable", async () => {
    const error = await failure(adapterFor("openai").listModels(target({ baseUrl: `${fake.url}/v2` })));
    expect(error.kind).toBe("upstream_error");
    expect(error.status).toBe(404);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain("Invalid URL (GET /v2/models)");
  });
});

describe("azure-openai specifics", () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeAzureOpenAI({ apiKey: "0123456789abcdef0123456789abcdef" });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });
  afterAll(() => fake.close());

  const target = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    providerType: "azure-openai",
    baseUrl: fake.url,
    apiKey: "0123456789abcdef0123456789abcdef",
    timeoutMs: TIMEOUT_MS,
    dispatcher: loopbackOk,
    ...overrides,
  });

  it("asks /openai/models with the api-version, defaulting it when the connection names none", async () => {
    await adapterFor("azure-openai").listModels(target({ azure: { apiVersion: "2025-01-01-preview" } }));
    await adapterFor("azure-openai").listModels(target());
    expect(fake.requests.map((r) => r.path)).toEqual([
      "/openai/models?api-version=2025-01-01-preview",
      "/openai/models?api-version=2024-10-21",
    ]);
  });

  it("does not double /openai when the base URL already ends with it", async () => {
    await adapterFor("azure-openai").listModels(target({ baseUrl: `${fake.url}/openai/` }));
    expect(fake.requests[0]!.path).toBe("/openai/models?api-version=2024-10-21");
  });

  it("with a deployment: still checks the key, and the deployment is the one model", async () => {
    const models = await adapterFor("azure-openai").listModels(
      target({ azure: { apiVersion: "2024-10-21", deployment: "prod-gpt4o" } }),
    );
    expect(models).toEqual([{ id: "prod-gpt4o", owned_by: "azure" }]);
    expect(fake.requests).toHaveLength(1);
    const error = await failure(
      adapterFor("azure-openai").listModels(
        target({
          apiKey: "ffffffffffffffffffffffffffffffff",
          azure: { apiVersion: "2024-10-21", deployment: "x" },
        }),
      ),
    );
    expect(error.kind).toBe("auth");
  });
});

describe("anthropic specifics", () => {
  it("sends anthropic-version and follows has_more / last_id", async () => {
    const models = ["claude-a", "claude-b", "claude-c", "claude-d", "claude-e"];
    const fake = await startFakeAnthropic({ apiKey: "sk-ant-x-0123456789", models, pageSize: 2 });
    try {
      const target: ProviderTarget = {
        providerType: "anthropic",
        baseUrl: fake.url,
        apiKey: "sk-ant-x-0123456789",
        timeoutMs: TIMEOUT_MS,
        dispatcher: loopbackOk,
      };
      const listed = await adapterFor("anthropic").listModels(target);
      expect(listed).toEqual(models.map((id) => ({ id, owned_by: "anthropic" })));
      expect(fake.requests.map((r) => r.path)).toEqual([
        "/v1/models?limit=1000",
        "/v1/models?limit=1000&after_id=claude-b",
        "/v1/models?limit=1000&after_id=claude-d",
      ]);
      for (const request of fake.requests) expect(header(request, "anthropic-version")).toBe("2023-06-01");
    } finally {
      await fake.close();
    }
  });
});

describe("google specifics", () => {
  it("strips models/, reads inputTokenLimit, follows nextPageToken, never puts the key in the URL", async () => {
    const key = "AIzaSyPagingKey0123456789abcdefghijklm";
    const fake = await startFakeGoogle({ apiKey: key, models: ["g-1", "g-2", "g-3"], pageSize: 2 });
    try {
      const listed = await adapterFor("google").listModels({
        providerType: "google",
        baseUrl: fake.url,
        apiKey: key,
        timeoutMs: TIMEOUT_MS,
        dispatcher: loopbackOk,
      });
      expect(listed).toEqual(
        ["g-1", "g-2", "g-3"].map((id) => ({ id, owned_by: "google", context_window: 1_048_576 })),
      );
      expect(fake.requests).toHaveLength(2);
      expect(fake.requests[1]!.path).toMatch(/pageToken=/);
      for (const request of fake.requests) {
        expect(request.path).not.toContain(key);
        expect(new URL(request.path, "http://x").searchParams.has("key")).toBe(false);
      }
    } finally {
      await fake.close();
    }
  });
});

describe("ollama specifics", () => {
  it("a local Ollama takes no key and gets none", async () => {
    const fake = await startFakeOllama({ models: ["llama3.2:latest"] });
    try {
      const result = await adapterFor("ollama").checkHealth({
        providerType: "ollama",
        baseUrl: fake.url,
        apiKey: undefined,
        timeoutMs: TIMEOUT_MS,
        dispatcher: loopbackOk,
      });
      expect(result.models).toEqual([{ id: "llama3.2:latest" }]);
      expect(fake.requests[0]!.path).toBe("/api/tags");
      expect(header(fake.requests[0], "authorization")).toBeUndefined();
    } finally {
      await fake.close();
    }
  });
});

describe("getJson", () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: Array.from({ length: 50 }, (_, i) => `model-${i}`) });
  });
  afterAll(() => fake.close());

  const options = { headers: {}, timeoutMs: TIMEOUT_MS, dispatcher: loopbackOk, secrets: [] };

  it("refuses a 2xx body larger than maxBodyBytes as bad_response", async () => {
    const error = await failure(getJson(`${fake.url}/v1/models`, { ...options, maxBodyBytes: 1024 }));
    expect(error.kind).toBe("bad_response");
    expect(error.message).toContain("more than 1024 bytes");
  });

  it("keeps working on the same pool after errors (bodies are released)", async () => {
    for (let i = 0; i < 20; i++) {
      await failure(getJson(`${fake.url}/v1/nothing-here`, options));
    }
    await expect(getJson(`${fake.url}/v1/models`, options)).resolves.toHaveProperty("object", "list");
  });
});

describe("connect-time guard (DNS rebinding)", () => {
  let fake: FakeUpstream;
  let port: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ["m"] });
    port = new URL(fake.url).port;
  });
  afterAll(() => fake.close());

  /** A name that answers a public address to the check and loopback to the connection. */
  const publicAtCheck: ResolveHost = async () => [{ address: "93.184.216.34", family: 4 }];
  const loopbackAtConnect: ResolveHost = async () => [{ address: "127.0.0.1", family: 4 }];

  it("refuses at connect a name that passed the check but now resolves to loopback", async () => {
    const baseUrl = `http://rebind.test:${port}/v1`;
    await expect(
      checkBaseUrl(baseUrl, { allowPrivate: false, resolve: publicAtCheck }),
    ).resolves.toBeInstanceOf(URL);
    const guarded = createGuardedDispatcher({ allowPrivate: false, resolve: loopbackAtConnect });
    try {
      const error = await failure(
        adapterFor("openai").listModels({
          providerType: "openai",
          baseUrl,
          apiKey: "sk-x",
          timeoutMs: TIMEOUT_MS,
          dispatcher: guarded,
        }),
      );
      expect(error.kind).toBe("blocked_address");
      expect(error.message).toContain("rebind.test (127.0.0.1)");
      expect(fake.requests).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });

  it("dials the address its resolver returned (the same name connects under allowPrivate)", async () => {
    const guarded = createGuardedDispatcher({ allowPrivate: true, resolve: loopbackAtConnect });
    try {
      const models = await adapterFor("openai").listModels({
        providerType: "openai",
        baseUrl: `http://rebind.test:${port}/v1`,
        apiKey: undefined,
        timeoutMs: TIMEOUT_MS,
        dispatcher: guarded,
      });
      expect(models.map((m) => m.id)).toEqual(["m"]);
      expect(header(fake.requests.at(-1), "host")).toBe(`rebind.test:${port}`);
    } finally {
      await guarded.close();
    }
  });

  it("refuses localhost through the system resolver without allowPrivate", async () => {
    fake.requests.length = 0;
    const error = await failure(
      adapterFor("openai").listModels({
        providerType: "openai",
        baseUrl: `http://localhost:${port}/v1`,
        apiKey: undefined,
        timeoutMs: TIMEOUT_MS,
        dispatcher: dispatchers.forPolicy({ allowPrivate: false }),
      }),
    );
    expect(error.kind).toBe("blocked_address");
    expect(error.message).toContain("localhost");
    expect(fake.requests).toHaveLength(0);
  });

  it("refuses a literal metadata address even under allowPrivate", async () => {
    const error = await failure(
      adapterFor("openai").listModels({
        providerType: "openai",
        baseUrl: "http://169.254.169.254/latest",
        apiKey: undefined,
        timeoutMs: TIMEOUT_MS,
        dispatcher: loopbackOk,
      }),
    );
    expect(error.kind).toBe("blocked_address");
    expect(error.message).toMatch(/cloud metadata/);
  });
});
