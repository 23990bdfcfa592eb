#!/usr/bin/env node
import { Command } from "commander";
import { VERSION } from "../version.js";
import { adminCommand } from "./admin.command.js";
import { keysCommand } from "./keys.command.js";
import { migrateCommand } from "./migrate.command.js";
import { providersCommand } from "./providers.command.js";
import { reportFailure } from "./report-failure.js";
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
  const { text, exitCode } = reportFailure(error);
  process.stderr.write(text);
  process.exitCode = exitCode;
});
