import type { FastifyBaseLogger } from "fastify";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { lazyChildLoggerFactory } from "../../src/http/plugins/lazy-request-logger.js";

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const root = pino(
    { level },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  let children = 0;
  const counting = Object.assign(Object.create(root) as FastifyBaseLogger, {
    child: (bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => {
      children++;
      return root.child(bindings, options);
    },
  });
  return { lines, counting, children: () => children };
}

const make = (parent: FastifyBaseLogger, options: pino.ChildLoggerOptions = {}) =>
  lazyChildLoggerFactory.call(
    // The factory does not use `this` (the Fastify instance).
    undefined as never,
    parent,
    { request_id: "r-1" },
    options,
    undefined as never,
  );

describe("the lazy per-request logger", () => {
  it("makes no child for lines its level drops", () => {
    const { lines, counting, children } = capture("warn");
    const log = make(counting);
    log.info({ a: 1 }, "dropped");
    log.debug("dropped too");
    expect(children()).toBe(0);
    expect(lines).toEqual([]);
  });

  it("writes through one child, with the request's bindings, once a line is kept", () => {
    const { lines, counting, children } = capture("info");
    const log = make(counting);
    log.info({ a: 1 }, "kept");
    log.error("also kept");
    expect(children()).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({ request_id: "r-1", a: 1, msg: "kept" }),
      expect.objectContaining({ request_id: "r-1", msg: "also kept" }),
    ]);
  });

  it("honours a route's own level, given as the child's option", () => {
    const { lines, counting } = capture("info");
    const log = make(counting, { level: "debug" });
    expect(log.level).toBe("debug");
    log.debug("route debug");
    expect(lines).toEqual([expect.objectContaining({ msg: "route debug" })]);
  });
});
