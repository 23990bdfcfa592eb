import { Command, Option } from "commander";
import { composeSwitchyard } from "../app.js";
import { redactDatabaseUrl } from "../db/database-url.js";
import { startHttpServer } from "../http/listen.js";
import { startHealthCheckSchedule } from "../jobs/health-check-schedule.js";
import { type CommonFlags, configFromFlags, withCommonFlags } from "./common-flags.js";
import { withStopSignalsDeferred } from "./defer-stop-signals.js";
import { tuneHeapForMemory } from "./tune-heap.js";

interface ServeFlags extends CommonFlags {
  port?: string;
  host?: string;
  migrate: boolean;
}

export function serveCommand(): Command {
  return withCommonFlags(new Command("serve").description("migrate to the latest schema and serve HTTP"))
    .addOption(new Option("--port <port>", "port to listen on (SWITCHYARD_PORT, default 8080)"))
    .addOption(new Option("--host <host>", "interface to bind (SWITCHYARD_HOST, default 127.0.0.1)"))
    .option("--no-migrate", "do not apply pending migrations at start")
    .action(async (flags: ServeFlags) => {
      const config = configFromFlags(flags);
      const { value: sy, signal } = await withStopSignalsDeferred(
        (stopRequested) => composeSwitchyard(config, { migrate: flags.migrate, stopRequested }),
        (message) => process.stderr.write(`switchyard: ${message}\n`),
      );
      // Told to stop while starting, after the migrations: stop instead of serving.
      if (signal !== undefined) {
        await sy.close();
        return;
      }
      if (config.heapTuning) tuneHeapForMemory({ logger: sy.logger });
      const server = await startHttpServer(sy).catch(async (error: unknown) => {
        await sy.close();
        throw error;
      });
      sy.logger.info(
        { url: server.url, database: redactDatabaseUrl(config.databaseUrl) },
        "switchyard listening",
      );
      // Does nothing until an admin turns the health.periodic_checks setting on.
      const healthChecks = startHealthCheckSchedule({
        repo: sy.connectionsRepo,
        health: sy.services.health,
        settings: sy.services.settings,
        logger: sy.logger,
      });

      const shutdown = (signal: NodeJS.Signals) => {
        sy.logger.info({ signal }, "shutting down");
        healthChecks
          .stop()
          .then(() => server.stop())
          .then(
            () => {
              sy.logger.flush();
              process.exit(0);
            },
            (error: unknown) => {
              sy.logger.error({ err: error }, "shutdown failed");
              sy.logger.flush();
              process.exit(1);
            },
          );
      };
      process.once("SIGTERM", shutdown);
      process.once("SIGINT", shutdown);
    });
}
