import { randomBytes } from "node:crypto";
import { type ComposeOptions, composeSwitchyard, type Switchyard } from "../../src/app.js";
import { type ConfigOverrides, loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";

export interface LogCapture {
  lines: string[];
  /** Every log line joined, for scanning it for secrets. */
  text(): string;
}

/** A Switchyard composed for a test: the environment is not read and log lines are captured. */
export async function composeForTest(
  overrides: ConfigOverrides & { databaseUrl: string },
  options: ComposeOptions = {},
): Promise<{ sy: Switchyard; logs: LogCapture }> {
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => void lines.push(line) },
  });
  // A fresh master key per test Switchyard: PostgreSQL and MySQL require one, and no test should
  // depend on a key file left in a data folder.
  const masterKey = randomBytes(32).toString("base64");
  const config = loadConfig({}, { port: 0, logLevel: "debug", masterKey, ...overrides });
  const sy = await composeSwitchyard(config, { logger, ...options });
  return { sy, logs: { lines, text: () => lines.join("") } };
}
