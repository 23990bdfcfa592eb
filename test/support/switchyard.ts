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
  const config = loadConfig({}, { port: 0, logLevel: "debug", ...overrides });
  const sy = await composeSwitchyard(config, { logger, ...options });
  return { sy, logs: { lines, text: () => lines.join("") } };
}
