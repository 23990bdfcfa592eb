import { type Command, Option } from "commander";
import { type Config, type ConfigOverrides, loadConfig } from "../config.js";

export interface CommonFlags {
  databaseUrl?: string;
  dataDir?: string;
  logLevel?: string;
}

/** Every command takes these; they win over the SWITCHYARD_* environment variables. */
export function withCommonFlags(command: Command): Command {
  return command
    .addOption(
      new Option("--database-url <url>", "database URL (sqlite:<path>, postgres://..., mysql://...)"),
    )
    .addOption(new Option("--data-dir <dir>", "data folder for the embedded default"))
    .addOption(new Option("--log-level <level>", "fatal | error | warn | info | debug | trace | silent"));
}

/** The environment (read by config.ts) with the command's flags on top. */
export function configFromFlags(flags: CommonFlags & ConfigOverrides): Config {
  return loadConfig(undefined, flags);
}
