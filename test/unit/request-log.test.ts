import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { observeResponses } from "../../src/http/plugins/observe-responses.js";
import { createRequestLog } from "../../src/http/plugins/request-log.js";
import { type LogLevel, recordingLogger } from "../support/recording-logger.js";

async function appAt(level: LogLevel) {
  const recorded = recordingLogger(level);
  const app = Fastify();
  observeResponses(app, createRequestLog(recorded.logger));
  app.get("/ok", async () => ({ ok: true }));
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/boom", async (_request, reply) => reply.code(503).send({ down: true }));
  await app.ready();
  return { app, lines: recorded.lines };
}

describe("access log", () => {
  it("at warn writes only failures", async () => {
    const { app, lines } = await appAt("warn");
    await app.inject({ url: "/ok" });
    await app.inject({ url: "/healthz" });
    await app.inject({ url: "/boom?token=abc" });
    expect(lines).toEqual([
      {
        level: "error",
        msg: "request failed",
        line: expect.objectContaining({ method: "GET", path: "/boom", status: 503 }),
      },
    ]);
    await app.close();
  });

  it("at info writes each request but not the probes, without the query string", async () => {
    const { app, lines } = await appAt("info");
    await app.inject({ url: "/ok?secret=1" });
    await app.inject({ url: "/healthz" });
    expect(lines.map((l) => [l.level, l.msg, l.line.path])).toEqual([["info", "request completed", "/ok"]]);
    expect(lines[0]!.line).toHaveProperty("request_id");
    expect(lines[0]!.line).toHaveProperty("duration_ms");
    await app.close();
  });

  it("at debug writes the probes too", async () => {
    const { app, lines } = await appAt("debug");
    await app.inject({ url: "/healthz" });
    expect(lines.map((l) => [l.level, l.line.path])).toEqual([["debug", "/healthz"]]);
    await app.close();
  });
});
