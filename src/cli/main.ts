#!/usr/bin/env node
import { Command } from "commander";
import { ConfigError } from "../config.js";
import { MigrationError } from "../db/migrator.js";
import { VERSION } from "../version.js";
import { adminCommand } from "./admin.command.js";
import { keysCommand } from "./keys.command.js";
import { migrateCommand } from "./migrate.command.js";
import { providersCommand } from "./providers.command.js";
import { seedCommand } from "./seed.command.js";
import { serveCommand } from "./serve.command.js";

const program = new Command()
  .name("switchyard")
  .description("LLM provider control plane and gateway")
  .version(VERSION)
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(migrateCommand())
  .addCommand(adminCommand())
  .addCommand(seedCommand())
  .addCommand(keysCommand())
  .addCommand(providersCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`switchyard: invalid configuration: ${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof MigrationError) {
    process.stderr.write(`switchyard: ${error.message}\n`);
    process.exitCode = 1;
  } else if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string") {
    // An error with a code is the system or a driver speaking (EADDRINUSE, ECONNREFUSED,
    // SQLITE_CANTOPEN, ER_ACCESS_DENIED_ERROR): one line says it; a stack says nothing more.
    process.stderr.write(`switchyard: ${error.message} (${(error as NodeJS.ErrnoException).code})\n`);
    process.exitCode = 1;
  } else {
    // Anything else is unexpected: its stack is what a bug report needs.
    process.stderr.write(
      `switchyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
});
