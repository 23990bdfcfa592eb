import { describe, expect, it } from "vitest";
import { listen } from "../../src/http/listen.js";
import { createHttpServer } from "../../src/http/server.js";
import { createTestDatabase } from "../support/databases.js";
import { composeForTest } from "../support/switchyard.js";

describe("graceful shutdown", () => {
  it("lets an in-flight request finish, refuses new ones, then closes the database", async () => {
    const testDb = await createTestDatabase("sqlite");
    const { sy } = await composeForTest({ databaseUrl: testDb.url, host: "127.0.0.1" });
    const app = await createHttpServer(sy);
    let release: () => void = () => {};
    const started = new Promise<void>((resolveStarted) => {
      app.get("/api/test/slow", async () => {
        resolveStarted();
        await new Promise<void>((r) => {
          release = r;
        });
        return { done: true };
      });
    });
    const server = await listen(app, sy);
    try {
      const inFlight = fetch(`${server.url}/api/test/slow`).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
      await started;

      const stopped = server.stop();
      // While stopping, a new request is not served.
      const late = await fetch(`${server.url}/healthz`).then(
        (r) => r.status,
        () => "refused" as const,
      );
      expect([503, "refused"]).toContain(late);

      release();
      expect(await inFlight).toEqual({ status: 200, body: { done: true } });
      await stopped;
      await expect(sy.checkDatabase()).rejects.toThrow();
    } finally {
      release();
      await server.stop();
      await testDb.drop();
    }
  });
});
