import { Command } from "commander";
import { ConfigError } from "../config.js";
import { connectDatabase } from "../db/connect-database.js";
import { createDatabase } from "../db/create-database.js";
import { namingLostDatabase } from "../db/database-lost.js";
import { createConnectionsRepo } from "../domain/connections/connections.repo.js";
import { sealPlainHeaderValues } from "../domain/connections/seal-plain-header-values.js";
import { createLogger } from "../logger.js";
import {
  createConnectionSecretStore,
  holdsEncryptedConnectionSecrets,
} from "../secrets/connection-secret-store.js";
import { connectionHeadersAad } from "../secrets/envelope.js";
import { headerValueCipher } from "../secrets/header-values.js";
import { createKeyring } from "../secrets/keyring.js";
import { resolveMasterKey } from "../secrets/master-key.js";
import { type RotationProgress, rotateSecrets } from "../secrets/rotate.js";
import { type CommonFlags, configFromFlags, withCommonFlags } from "./common-flags.js";

const BAR_WIDTH = 30;

function progressLine(p: RotationProgress): string {
  const fraction = p.total === 0 ? 1 : p.processed / p.total;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${p.processed}/${p.total} rotated ${p.rotated}, skipped ${p.skipped}, failed ${p.failed}`;
}

/**
 * `switchyard keys rotate`: re-encrypts every stored key, and every connection's credential-like
 * custom header values, under the current master key, online, in batches; header values still in
 * plain text (stored before they were encrypted) are encrypted first. To rotate: set
 * SWITCHYARD_MASTER_KEY to the new key and SWITCHYARD_PREVIOUS_MASTER_KEYS to the old one (instances
 * then read both), run this, then drop the old key. Each row is swapped with a compare-and-set, so a
 * crash part-way loses nothing and running it again finishes the job.
 */
export function keysCommand(): Command {
  const keys = new Command("keys").description("manage the master key");
  keys.addCommand(
    withCommonFlags(
      new Command("rotate").description(
        "re-encrypt every stored key and secret header value under the current master key",
      ),
    )
      .option("--batch-size <n>", "rows per batch", "100")
      .action(async (flags: CommonFlags & { batchSize: string }) => {
        const config = configFromFlags({ logLevel: "warn", ...flags });
        const batchSize = Number(flags.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
          throw new ConfigError("--batch-size", "a whole number from 1 to 10000");
        }
        const logger = createLogger({ level: config.logLevel, destination: process.stderr });
        const handle = createDatabase({ databaseUrl: config.databaseUrl, poolSize: 2 });
        try {
          await connectDatabase(handle, config.databaseUrl);
          const master = await resolveMasterKey(config, handle.target, {
            logger,
            holdsEncryptedSecrets: () => holdsEncryptedConnectionSecrets(handle.db),
          });
          const keyring = createKeyring({ current: master, previous: config.previousMasterKeys });
          const interactive = process.stderr.isTTY === true;
          const onProgress = (p: RotationProgress) =>
            process.stderr.write(interactive ? `\r${progressLine(p)}` : `${progressLine(p)}\n`);
          const unreadable = (what: string) => (failure: { id: string; reason: string }) =>
            process.stdout.write(
              `  connection ${failure.id} (${what}): ${failure.reason} (its master key is not in the keyring)\n`,
            );

          const sealed = await sealPlainHeaderValues({
            db: handle.db,
            repo: createConnectionsRepo({ db: handle.db, dialect: handle.dialect }),
            secrets: headerValueCipher(keyring),
            batchSize,
          });
          if (sealed.sealed > 0) {
            process.stdout.write(
              `encrypted the plain custom header values of ${sealed.sealed} connection(s)\n`,
            );
          }
          sealed.failed.forEach(unreadable("custom headers"));

          const keys = await rotateSecrets({
            keyring,
            store: createConnectionSecretStore(handle.db),
            batchSize,
            onProgress,
          });
          if (interactive) process.stderr.write("\n");
          process.stdout.write(
            `rotated ${keys.rotated} of ${keys.total} keys to ${keyring.currentKid}; ${keys.skipped} changed meanwhile (already current), ${keys.failed.length} unreadable\n`,
          );
          keys.failed.forEach(unreadable("api key"));

          const headers = await rotateSecrets({
            keyring,
            store: createConnectionSecretStore(handle.db, "secret_headers_encrypted"),
            aad: (row) => connectionHeadersAad(row.id, row.ownerKey),
            batchSize,
            onProgress,
          });
          if (interactive && headers.total > 0) process.stderr.write("\n");
          process.stdout.write(
            `rotated ${headers.rotated} of ${headers.total} custom header value sets to ${keyring.currentKid}; ${headers.skipped} changed meanwhile (already current), ${headers.failed.length} unreadable\n`,
          );
          headers.failed.forEach(unreadable("custom headers"));
          if (keys.failed.length + headers.failed.length + sealed.failed.length > 0) process.exitCode = 1;
        } catch (error) {
          throw namingLostDatabase(error, config.databaseUrl);
        } finally {
          await handle.close();
        }
      }),
  );
  return keys;
}
