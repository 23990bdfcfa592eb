import { Command } from "commander";
import { composeSwitchyard } from "../app.js";
import { namingLostDatabase } from "../db/database-lost.js";
import { seedDefaultConnection } from "../domain/connections/seed-default-connection.js";
import { createLogger } from "../logger.js";
import { type CommonFlags, configFromFlags, withCommonFlags } from "./common-flags.js";

export function seedCommand(): Command {
  return withCommonFlags(
    new Command("seed").description(
      "create the default system Ollama connection if the system has no default",
    ),
  ).action(async (flags: CommonFlags) => {
    const config = configFromFlags({ logLevel: "warn", ...flags });
    const sy = await composeSwitchyard(config, {
      logger: createLogger({ level: config.logLevel, destination: process.stderr }),
    });
    try {
      const { created, connection } = await seedDefaultConnection({
        repo: sy.connectionsRepo,
        connections: sy.services.connections,
      });
      process.stdout.write(
        created
          ? `created the system default connection ${connection.name} (${connection.provider_type}, ${connection.model})\n`
          : `the system already has a default connection: ${connection.name}; nothing changed\n`,
      );
    } catch (error) {
      throw namingLostDatabase(error, config.databaseUrl);
    } finally {
      await sy.close();
    }
  });
}
