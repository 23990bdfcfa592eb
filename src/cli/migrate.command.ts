import { Command } from "commander";
import { connectDatabase } from "../db/connect-database.js";
import { createDatabase } from "../db/create-database.js";
import { namingLostDatabase } from "../db/database-lost.js";
import { createMigrator, type SwitchyardMigrator } from "../db/migrator.js";
import { type CommonFlags, configFromFlags, withCommonFlags } from "./common-flags.js";
import { withStopSignalsDeferred } from "./defer-stop-signals.js";

/**
 * Runs fn with a migrator on the configured database, and always closes the pool. Only the
 * database: migrating needs no master key, cache or service.
 */
async function withSwitchyard(
  flags: CommonFlags,
  fn: (sy: { migrator: SwitchyardMigrator }) => Promise<void>,
) {
  const config = configFromFlags(flags);
  const handle = createDatabase({ databaseUrl: config.databaseUrl, poolSize: 2 });
  try {
    await connectDatabase(handle, config.databaseUrl);
    await fn({ migrator: createMigrator(handle.db) });
  } catch (error) {
    throw namingLostDatabase(error, config.databaseUrl);
  } finally {
    await handle.close();
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function migrateCommand(): Command {
  const migrate = new Command("migrate").description("apply, revert or list schema migrations");

  migrate.addCommand(
    withCommonFlags(new Command("up").description("apply every pending migration")).action(
      (flags: CommonFlags) =>
        withSwitchyard(flags, async (sy) => {
          const {
            value: { names },
          } = await withStopSignalsDeferred(
            (stopRequested) => sy.migrator.up({ stopRequested }),
            (message) => process.stderr.write(`switchyard: ${message}\n`),
          );
          print(
            names.length === 0
              ? "already at the latest migration"
              : names.map((n) => `applied ${n}`).join("\n"),
          );
        }),
    ),
  );

  migrate.addCommand(
    withCommonFlags(new Command("down").description("revert the last applied migration (--all: every one)"))
      .option("--all", "revert every applied migration")
      .action((flags: CommonFlags & { all?: boolean }) =>
        withSwitchyard(flags, async (sy) => {
          const { names } = flags.all ? await sy.migrator.downAll() : await sy.migrator.down();
          print(names.length === 0 ? "nothing to revert" : names.map((n) => `reverted ${n}`).join("\n"));
        }),
      ),
  );

  migrate.addCommand(
    withCommonFlags(new Command("status").description("list applied and pending migrations")).action(
      (flags: CommonFlags) =>
        withSwitchyard(flags, async (sy) => {
          const rows = await sy.migrator.status();
          for (const row of rows) {
            print(
              `${row.applied ? "applied" : "pending"}  ${row.name}${row.executedAt ? `  ${row.executedAt.toISOString()}` : ""}`,
            );
          }
          const pending = rows.filter((r) => !r.applied).length;
          print(pending === 0 ? "up to date" : `${pending} pending`);
        }),
    ),
  );

  return migrate;
}
