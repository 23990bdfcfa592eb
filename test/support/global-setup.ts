import type { TestProject } from "vitest/node";
import type { Dialect } from "../../src/db/database-url.js";
import { probeDialect, probeRedis } from "./admin-connections.js";
import { testEnv } from "./test-env.js";

export default async function setup(project: TestProject): Promise<void> {
  const available: Dialect[] = [];
  const missing: string[] = [];
  for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
    const problem = await probeDialect(dialect);
    if (problem === undefined) available.push(dialect);
    else missing.push(`${dialect}: ${problem}`);
  }
  const redisProblem = await probeRedis();
  if (redisProblem !== undefined) missing.push(`redis: ${redisProblem}`);
  if (missing.length > 0) {
    const message = `servers unreachable, their cases will not run:\n  ${missing.join("\n  ")}`;
    if (testEnv.ci) throw new Error(`CI=true and ${message}`);
    console.warn(`\n!!! SKIPPING: ${message}\n`);
  }
  project.provide("availableDialects", available);
  project.provide("redisAvailable", redisProblem === undefined);
}
