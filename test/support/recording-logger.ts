import { createLogger } from "../../src/logger.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVEL_NAMES: Record<number, LogLevel> = { 20: "debug", 30: "info", 40: "warn", 50: "error" };

/** The project's own logger at `level`, writing its lines, parsed, into an array. */
export function recordingLogger(level: LogLevel) {
  const lines: { level: LogLevel; line: Record<string, unknown>; msg: string }[] = [];
  const destination = {
    write(text: string) {
      const { level: number, msg, ...line } = JSON.parse(text) as Record<string, unknown>;
      lines.push({ level: LEVEL_NAMES[number as number]!, line, msg: msg as string });
    },
  };
  return { lines, logger: createLogger({ level, destination }) };
}
