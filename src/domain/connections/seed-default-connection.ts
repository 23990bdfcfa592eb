import { systemActor } from "../actor.js";
import type { ConnectionsRepo } from "./connections.repo.js";
import type { ConnectionsService } from "./connections.service.js";
import type { ConnectionView } from "./connections.schemas.js";
import { toConnectionView } from "./connection-view.js";

/**
 * Seed 003's default: a system Ollama connection (llama3 on localhost:11434) when the system has no
 * default yet. Running it again changes nothing.
 */
export async function seedDefaultConnection(deps: {
  repo: Pick<ConnectionsRepo, "defaultOf" | "findByOwnerAndName">;
  connections: Pick<ConnectionsService, "create" | "setDefault">;
}): Promise<{ created: boolean; connection: ConnectionView }> {
  const existing = await deps.repo.defaultOf("system");
  if (existing) return { created: false, connection: toConnectionView(existing, true) };
  const actor = systemActor("seed");
  const named = await deps.repo.findByOwnerAndName("system", "ollama");
  if (named) return { created: false, connection: await deps.connections.setDefault(actor, named.id) };
  const connection = await deps.connections.create(actor, {
    name: "ollama",
    provider_type: "ollama",
    scope: "system",
    base_url: "http://localhost:11434",
    model: "llama3",
    is_default: true,
  });
  return { created: true, connection };
}
