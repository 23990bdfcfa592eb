import { type Kysely, type MigrationResultSet, Migrator, NO_MIGRATIONS } from "kysely";
import { migrations } from "./migrations/index.js";
import type { Database } from "./schema.js";

export interface MigrationStatus {
  name: string;
  applied: boolean;
  executedAt: Date | null;
}

export interface MigrationRun {
  /** Migrations this run applied (up) or reverted (down), in the order it did so. */
  names: string[];
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(
      `migration ${migration ?? "(setup)"} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = "MigrationError";
  }
}

/**
 * Kysely's migrator over the static migration list. It takes a lock table first, so several
 * instances starting at once against one PostgreSQL or MySQL database apply each step once.
 */
export function createMigrator(db: Kysely<Database>) {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });

  const run = async (fn: () => Promise<MigrationResultSet>): Promise<MigrationRun> => {
    const { error, results = [] } = await fn();
    if (error) throw new MigrationError(results.find((r) => r.status === "Error")?.migrationName, error);
    return { names: results.filter((r) => r.status === "Success").map((r) => r.migrationName) };
  };

  return {
    /**
     * Applies the pending migrations one step at a time. `stopRequested` is asked between steps:
     * MySQL commits DDL as it goes (and Kysely runs no SQLite step in a transaction), so a process
     * killed inside a step leaves part of it applied and the step unrecorded. The next run finishes
     * it, each step skipping what already exists (migrations/if-missing.ts); stopping between steps
     * never leaves one half done.
     */
    up: async (options: { stopRequested?: () => boolean } = {}): Promise<MigrationRun> => {
      const names: string[] = [];
      for (;;) {
        if (options.stopRequested?.() === true) {
          throw new MigrationError(
            undefined,
            new Error(
              `stopped on request after ${names.length} step(s)${names.length > 0 ? ` (${names.join(", ")})` : ""}; the rest is pending`,
            ),
          );
        }
        const step = await run(() => migrator.migrateUp());
        if (step.names.length === 0) return { names };
        names.push(...step.names);
      }
    },
    /** Reverts the last applied step. */
    down: () => run(() => migrator.migrateDown()),
    /** Reverts every applied step, newest first. */
    downAll: async (): Promise<MigrationRun> => {
      const applied = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined).length;
      if (applied === 0) return { names: [] };
      return run(() => migrator.migrateTo(NO_MIGRATIONS));
    },
    status: async (): Promise<MigrationStatus[]> =>
      (await migrator.getMigrations()).map((m) => ({
        name: m.name,
        applied: m.executedAt !== undefined,
        executedAt: m.executedAt ?? null,
      })),
  };
}

export type SwitchyardMigrator = ReturnType<typeof createMigrator>;
