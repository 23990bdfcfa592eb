import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const KEY = Buffer.alloc(32, 7).toString("base64");

describe("loadConfig", () => {
  it("gives DESIGN.md's defaults when nothing is set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      databaseUrl: `sqlite:${path.join("./data", "switchyard.db")}`,
      redisUrl: undefined,
      masterKey: undefined,
      dataDir: "./data",
      logLevel: "info",
      heapTuning: false,
    });
  });

  it("turns the heap tuning on with SWITCHYARD_HEAP_TUNING=true", () => {
    expect(loadConfig({ SWITCHYARD_HEAP_TUNING: "true" }).heapTuning).toBe(true);
    expect(loadConfig({ SWITCHYARD_HEAP_TUNING: "on" }).heapTuning).toBe(true);
    expect(loadConfig({ SWITCHYARD_HEAP_TUNING: "0" }).heapTuning).toBe(false);
  });

  it("puts the default SQLite file in SWITCHYARD_DATA_DIR", () => {
    expect(loadConfig({ SWITCHYARD_DATA_DIR: "/var/lib/sy" }).databaseUrl).toBe(
      "sqlite:/var/lib/sy/switchyard.db",
    );
  });

  it("reads every contract variable", () => {
    const config = loadConfig({
      SWITCHYARD_PORT: "9090",
      SWITCHYARD_HOST: "0.0.0.0",
      SWITCHYARD_DATABASE_URL: "postgres://u:p@db:5432/sy",
      SWITCHYARD_REDIS_URL: "redis://cache:6379/0",
      SWITCHYARD_MASTER_KEY: KEY,
      SWITCHYARD_DATA_DIR: "/data",
      SWITCHYARD_LOG_LEVEL: "DEBUG",
    });
    expect(config.port).toBe(9090);
    expect(config.host).toBe("0.0.0.0");
    expect(config.databaseUrl).toBe("postgres://u:p@db:5432/sy");
    expect(config.redisUrl).toBe("redis://cache:6379/0");
    expect(config.masterKey?.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(config.logLevel).toBe("debug");
  });

  it("lets overrides (CLI flags, library options) win over the environment", () => {
    const config = loadConfig({ SWITCHYARD_PORT: "1" }, { port: 2, databaseUrl: "mysql://root@h/db" });
    expect(config.port).toBe(2);
    expect(config.databaseUrl).toBe("mysql://root@h/db");
  });

  it("takes a host name or an IPv4 or IPv6 address, brackets off", () => {
    const accepted: [string, string][] = [
      ["0.0.0.0", "0.0.0.0"],
      ["localhost", "localhost"],
      ["switchyard.internal.example", "switchyard.internal.example"],
      ["my_host", "my_host"],
      ["::", "::"],
      ["::1", "::1"],
      ["[::1]", "::1"],
      ["[fe80::1%eth0]", "fe80::1%eth0"],
    ];
    for (const [value, host] of accepted) expect(loadConfig({ SWITCHYARD_HOST: value }).host).toBe(host);
  });

  it("refuses an empty host given in code (--host '', the library's host option)", () => {
    expect(() => loadConfig({}, { host: "" })).toThrow(
      /^SWITCHYARD_HOST: expected a host name or IP address/,
    );
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ SWITCHYARD_PORT: "  " }).port).toBe(8080);
    expect(loadConfig({ SWITCHYARD_HOST: "" }).host).toBe("127.0.0.1");
  });

  const bad: [string, string, RegExp][] = [
    ["SWITCHYARD_PORT", "eighty", /whole number from 0 to 65535/],
    ["SWITCHYARD_PORT", "70000", /whole number/],
    ["SWITCHYARD_PORT", "-1", /whole number/],
    ["SWITCHYARD_HOST", "http://x", /host name or IP address/],
    // A port, a URL or a bracketed address with a port passed here and failed only at listen.
    ["SWITCHYARD_HOST", "0.0.0.0:8080", /the port goes in SWITCHYARD_PORT/],
    ["SWITCHYARD_HOST", "localhost:8080", /the port goes in SWITCHYARD_PORT/],
    ["SWITCHYARD_HOST", "[::1]:80", /the port goes in SWITCHYARD_PORT/],
    ["SWITCHYARD_HOST", "http://127.0.0.1:8080/", /no scheme or path/],
    ["SWITCHYARD_HOST", "example.test/api", /no scheme or path/],
    ["SWITCHYARD_HOST", "[localhost]", /host name or IP address/],
    ["SWITCHYARD_HOST", "1.2.3", /host name or IP address/],
    ["SWITCHYARD_HOST", "-leading.example", /host name or IP address/],
    ["SWITCHYARD_DATABASE_URL", "oracle://h/db", /sqlite:/],
    ["SWITCHYARD_DATABASE_URL", "postgres://h:5432", /names no database/],
    ["SWITCHYARD_DATABASE_URL", "sqlite:", /sqlite:/],
    ["SWITCHYARD_DATABASE_URL", "not a url", /not a URL/],
    ["SWITCHYARD_REDIS_URL", "http://cache", /redis:\/\//],
    // ioredis would SELECT NaN, and Redis's refusal killed the process.
    ["SWITCHYARD_REDIS_URL", "redis://127.0.0.1:6379/abc", /database number/],
    ["SWITCHYARD_REDIS_URL", "redis://127.0.0.1:6379/16", /database number/],
    ["SWITCHYARD_REDIS_URL", "redis://127.0.0.1:6379/-1", /database number/],
    ["SWITCHYARD_REDIS_URL", "redis://", /with a host/],
    ["SWITCHYARD_REDIS_URL", "redis:secret", /with a host/],
    ["SWITCHYARD_MASTER_KEY", "dG9vLXNob3J0", /32 random bytes/],
    ["SWITCHYARD_MASTER_KEY", "!!!", /32 random bytes/],
    ["SWITCHYARD_LOG_LEVEL", "loud", /one of fatal/],
    ["SWITCHYARD_DB_POOL_SIZE", "0", /whole number from 1/],
    ["SWITCHYARD_SHUTDOWN_TIMEOUT_MS", "soon", /whole number/],
    ["SWITCHYARD_HEAP_TUNING", "maybe", /true or false/],
  ];
  for (const [variable, value, expected] of bad) {
    it(`refuses ${variable}=${JSON.stringify(value)}, naming the variable and what it expects`, () => {
      let error: unknown;
      try {
        loadConfig({ [variable]: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const configError = error as ConfigError;
      expect(configError.variable).toBe(variable);
      expect(configError.message).toMatch(new RegExp(`^${variable}: expected`));
      expect(configError.message).toMatch(expected);
    });
  }

  it("never echoes a secret it refuses", () => {
    const secrets = {
      SWITCHYARD_MASTER_KEY: "c3VwZXItc2VjcmV0LWJ1dC1zaG9ydA==",
      SWITCHYARD_REDIS_URL: "http://:hunter2@cache:6379",
    };
    for (const [variable, value] of Object.entries(secrets)) {
      expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
      try {
        loadConfig({ [variable]: value });
      } catch (e) {
        expect(String((e as Error).message)).not.toContain(value);
        expect(String((e as Error).message)).not.toContain("hunter2");
      }
    }
  });
});
