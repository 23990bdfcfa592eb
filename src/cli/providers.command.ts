import { Command } from "commander";
import { composeSwitchyard } from "../app.js";
import { namingLostDatabase } from "../db/database-lost.js";
import { createLogger } from "../logger.js";
import { type CommonFlags, configFromFlags, withCommonFlags } from "./common-flags.js";

/**
 * `switchyard providers test [--all]`: the system default connection (or, with --all, every enabled
 * connection of every owner) checked against its upstream, with the result recorded as the test
 * button would. Exit code 1 when any check failed.
 */
export function providersCommand(): Command {
  const providers = new Command("providers").description("check provider connections");
  providers.addCommand(
    withCommonFlags(
      new Command("test").description("test the system default connection against its upstream"),
    )
      .option("--all", "test every enabled connection instead")
      .action(async (flags: CommonFlags & { all?: boolean }) => {
        const config = configFromFlags({ logLevel: "warn", ...flags });
        const logger = createLogger({ level: config.logLevel, destination: process.stderr });
        const sy = await composeSwitchyard(config, { logger });
        try {
          const targets = flags.all
            ? (await sy.connectionsRepo.listAll()).filter((c) => c.isEnabled)
            : [await sy.connectionsRepo.defaultOf("system")].filter((c) => c !== undefined);
          if (targets.length === 0) {
            process.stdout.write(
              flags.all
                ? "no enabled connections\n"
                : "the system has no default connection (try `switchyard seed`)\n",
            );
            process.exitCode = 1;
            return;
          }
          let failed = 0;
          for (const c of targets) {
            const result = await sy.services.health.check(c);
            if (result.health_status === "failed") failed++;
            const detail =
              result.health_status === "ok"
                ? `${result.models?.length ?? 0} models`
                : (result.error ?? "failed");
            process.stdout.write(
              `${result.health_status.padEnd(6)} ${c.scope}/${c.name} (${c.providerType}) ${result.latency_ms} ms  ${detail}\n`,
            );
          }
          process.stdout.write(`${targets.length - failed} ok, ${failed} failed\n`);
          if (failed > 0) process.exitCode = 1;
        } catch (error) {
          throw namingLostDatabase(error, config.databaseUrl);
        } finally {
          await sy.close();
        }
      }),
  );
  return providers;
}
