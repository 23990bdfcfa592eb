import type { Actor } from "../actor.js";

/** What happened, to what. `details` is redacted before it is stored: never put a secret in it anyway. */
export interface AuditEvent {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * The audit trail as the other services see it: they record, the audit service stores. Recording
 * never throws into the caller's flow for a failed write of the trail itself; it logs instead.
 */
export interface AuditRecorder {
  record(actor: Actor, event: AuditEvent): Promise<void>;
  /** For events with no authenticated actor (a failed login names only the email tried). */
  recordAnonymous(event: AuditEvent & { actorLabel?: string | null; meta?: Actor["meta"] }): Promise<void>;
}
