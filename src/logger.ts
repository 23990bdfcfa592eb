import pino, { type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * Paths pino censors before a line is written. Secrets reach logs through headers and bodies;
 * the app never logs bodies, and these catch the places a header or a field could slip through.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-api-key']",
  "req.headers['api-key']",
  'res.headers["set-cookie"]',
  "*.password",
  "*.api_key",
  "*.apiKey",
  "*.access_token",
  "*.refresh_token",
  "*.token",
  "*.key",
  "*.master_key",
  "*.masterKey",
];

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "switchyard" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
