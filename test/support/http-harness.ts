import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import type { Switchyard } from "../../src/app.js";
import type { ConfigOverrides } from "../../src/config.js";
import type { Dialect } from "../../src/db/database-url.js";
import type { HttpApp } from "../../src/http/http-app.js";
import { createHttpServer } from "../../src/http/server.js";
import { createTestDatabase, type TestDatabase } from "./databases.js";
import { composeForTest, type LogCapture } from "./switchyard.js";

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `{ authorization: "Bearer <access token>" }`, to spread into inject headers. */
  headers: Record<string, string>;
}

export interface TestApp {
  app: HttpApp;
  sy: Switchyard;
  logs: LogCapture;
  testDb: TestDatabase;
  /** The first registered user, who is therefore an admin. */
  admin: TestUser;
  /** A new active user, created by the admin over HTTP and signed in. */
  newUser(options?: { admin?: boolean; email?: string }): Promise<TestUser>;
  /** Signs in over HTTP. */
  login(email: string, password: string): Promise<TestUser>;
  /** Every response body the suite's requests produced, for scanning for secrets. */
  bodies(): string;
  /** Creates a connection as `user` over HTTP (`POST /api/llm-providers`); fails unless 201. */
  connection(user: TestUser, payload: Record<string, unknown>): Promise<{ id: string }>;
  /**
   * A new user whose first (so default) connection is an openai-compatible one at `baseUrl` (a fake
   * upstream's `/v1`), named `main` and serving model `m` unless told otherwise.
   */
  userWithConnection(connection: {
    baseUrl: string;
    apiKey: string;
    name?: string;
    model?: string;
  }): Promise<{ user: TestUser; connectionId: string }>;
  /** Creates an API key as `user` over HTTP (`POST /api/users/me/api-keys`); fails unless 201. */
  apiKey(
    user: TestUser,
    payload?: Record<string, unknown>,
  ): Promise<{ key: string; api_key: { id: string } }>;
  /** Sets a setting as the admin, over HTTP, and fails the test if that is refused. */
  setting(key: string, value: unknown): Promise<void>;
  /** Listens on a free loopback port (for real HTTP clients) and returns the /v1 base URL. */
  listen(): Promise<string>;
}

const unique = () => randomBytes(6).toString("hex");

/**
 * Inside a describe: a real Switchyard on a fresh database of the dialect, its full HTTP app (driven
 * with inject), captured logs, and a first admin. Closed and dropped after the suite.
 */
export function useTestApp(dialect: Dialect, overrides: ConfigOverrides = {}): () => TestApp {
  let current: TestApp | undefined;
  const seen: string[] = [];

  beforeAll(async () => {
    const testDb = await createTestDatabase(dialect);
    const { sy, logs } = await composeForTest({ databaseUrl: testDb.url, ...overrides });
    const app = await createHttpServer(sy);
    app.addHook("onSend", async (_request, _reply, payload) => {
      if (typeof payload === "string") seen.push(payload);
      return payload;
    });
    await app.ready();

    const signIn = async (email: string, password: string, path = "/api/auth/login", extra = {}) => {
      const res = await app.inject({ method: "POST", url: path, payload: { email, password, ...extra } });
      if (res.statusCode !== 200 && res.statusCode !== 201) {
        throw new Error(`${path} for ${email} answered ${res.statusCode}: ${res.body}`);
      }
      const body = res.json();
      return {
        id: body.user.id,
        email,
        password,
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        headers: { authorization: `Bearer ${body.access_token}` },
      } satisfies TestUser;
    };

    /** POSTs as `user` what must be created; anything but 201 fails the test, saying what. */
    const create = async <T>(user: TestUser, url: string, payload: Record<string, unknown>, what: string) => {
      const res = await app.inject({ method: "POST", url, headers: user.headers, payload });
      if (res.statusCode !== 201) throw new Error(`creating ${what} answered ${res.statusCode}: ${res.body}`);
      return res.json<T>();
    };

    const admin = await signIn(
      `admin-${unique()}@example.test`,
      `pw-${unique()}-admin`,
      "/api/auth/register",
    );

    const newUser: TestApp["newUser"] = async (options = {}) => {
      const email = options.email ?? `user-${unique()}@example.test`;
      const password = `pw-${unique()}-user`;
      await create(admin, "/api/admin/users", { email, password, admin: options.admin ?? false }, email);
      return signIn(email, password);
    };
    const connection: TestApp["connection"] = (user, payload) =>
      create<{ id: string }>(user, "/api/llm-providers", payload, `connection ${String(payload.name)}`);

    current = {
      app,
      sy,
      logs,
      testDb,
      admin,
      login: (email, password) => signIn(email, password),
      newUser,
      bodies: () => seen.join("\n"),
      connection,
      userWithConnection: async ({ baseUrl, apiKey, name = "main", model = "m" }) => {
        const user = await newUser();
        const { id } = await connection(user, {
          name,
          provider_type: "openai-compatible",
          base_url: baseUrl,
          api_key: apiKey,
          model,
        });
        return { user, connectionId: id };
      },
      apiKey: (user, payload = { name: "app" }) =>
        create<{ key: string; api_key: { id: string } }>(
          user,
          "/api/users/me/api-keys",
          payload,
          "an API key",
        ),
      setting: async (key, value) => {
        const res = await app.inject({
          method: "PUT",
          url: `/api/admin/settings/${key}`,
          headers: admin.headers,
          payload: { value },
        });
        if (res.statusCode !== 200) throw new Error(`setting ${key} answered ${res.statusCode}: ${res.body}`);
      },
      listen: async () => {
        await app.listen({ port: 0, host: "127.0.0.1" });
        const address = app.server.address();
        return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/v1`;
      },
    };
  });

  afterAll(async () => {
    await current?.app.close();
    await current?.sy.close();
    await current?.testDb.drop();
  });

  return () => {
    if (!current) throw new Error("useTestApp: the app is ready only inside tests");
    return current;
  };
}
