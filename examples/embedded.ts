/**
 * Switchyard embedded in a desktop or Node app (seed 002): SQLite, no HTTP server, the same services.
 * A user's connection is created with an encrypted key, becomes their default, and resolves to the
 * base URL, model and key the app should call.
 *
 *   npm run example            (builds, then runs this file with a throwaway data folder)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createSwitchyard, systemActor, userActor } from "switchyard";

export async function main(
  dataDir: string,
): Promise<{ baseUrl: string | undefined; model: string | undefined; key: string | undefined }> {
  const sy = await createSwitchyard({ dataDir, logLevel: "warn" });
  try {
    // The app's own user: created once, here through the same service the admin API uses.
    const user = await sy.services.users.create(systemActor("desktop-app"), {
      email: "me@example.com",
      password: "a long local password",
    });
    const me = userActor(user.id, user.roles);

    const connection = await sy.services.connections.create(me, {
      name: "my-openai",
      provider_type: "openai",
      model: "gpt-4o-mini",
      api_key: "sk-example-not-a-real-key-0000",
    });
    console.log(
      `created ${connection.name}: default=${connection.is_default}, key hint ${connection.api_key_hint}`,
    );

    const resolved = await sy.resolver.resolve(user.id);
    if (!resolved) throw new Error("no connection serves this user");
    const key = await sy.connectionKey(resolved.connection);
    console.log(
      `calls go to ${resolved.connection.baseUrl ?? "https://api.openai.com/v1"} with model ${resolved.model}`,
    );
    return { baseUrl: connection.base_url ?? undefined, model: resolved.model, key };
  } finally {
    await sy.close();
  }
}

// Run directly (not imported by the tests): a fresh data folder, removed afterwards.
if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-example-"));
  main(dir)
    .then(() => fs.rmSync(dir, { recursive: true, force: true }))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
