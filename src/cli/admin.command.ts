import { Command, Option } from "commander";
import { composeSwitchyard } from "../app.js";
import { namingLostDatabase } from "../db/database-lost.js";
import { systemActor } from "../domain/actor.js";
import { AppError } from "../domain/errors.js";
import { createLogger } from "../logger.js";
import { type CommonFlags, configFromFlags, withCommonFlags } from "./common-flags.js";

interface CreateFlags extends CommonFlags {
  email: string;
  password: string;
  displayName?: string;
}

/** `switchyard admin create`: the way in on a fresh install, or back in when every admin is locked out. */
export function adminCommand(): Command {
  const admin = new Command("admin").description("manage admin accounts");
  admin.addCommand(
    withCommonFlags(
      new Command("create").description("create an admin account (migrates a fresh database first)"),
    )
      .requiredOption("--email <email>", "the admin's email")
      .requiredOption("--password <password>", "at least 8 characters")
      .addOption(new Option("--display-name <name>", "shown in the UI"))
      .action(async (flags: CreateFlags) => {
        const config = configFromFlags({ logLevel: "warn", ...flags });
        // Log lines to stderr: stdout carries the command's own answer, for scripts to read.
        const logger = createLogger({ level: config.logLevel, destination: process.stderr });
        const sy = await composeSwitchyard(config, { logger });
        try {
          const user = await sy.services.users.create(systemActor("cli"), {
            email: flags.email,
            password: flags.password,
            admin: true,
            ...(flags.displayName ? { display_name: flags.displayName } : {}),
          });
          process.stdout.write(`created admin ${user.email} (${user.id})\n`);
        } catch (error) {
          if (!(error instanceof AppError)) throw namingLostDatabase(error, config.databaseUrl);
          process.stderr.write(`switchyard: ${error.message}\n`);
          process.exitCode = error.code === "conflict" ? 3 : 2;
        } finally {
          await sy.close();
        }
      }),
  );
  return admin;
}
