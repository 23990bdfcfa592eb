import type { Migration } from "kysely";
import * as m0001 from "./0001_identity.js";
import * as m0002 from "./0002_connections.js";
import * as m0003 from "./0003_operations.js";
import * as m0004 from "./0004_health_hysteresis.js";
import * as m0005 from "./0005_bootstrap_claims.js";
import * as m0006 from "./0006_session_families.js";
import * as m0007 from "./0007_membership_invitations.js";
import * as m0008 from "./0008_user_sessions_revoked_at.js";
import * as m0009 from "./0009_secret_header_values.js";

/**
 * Every migration, in order. Imported statically rather than read from a folder so the built
 * package and the library work wherever they are installed. Names sort in the order they apply.
 */
export const migrations: Record<string, Migration> = {
  "0001_identity": m0001,
  "0002_connections": m0002,
  "0003_operations": m0003,
  "0004_health_hysteresis": m0004,
  "0005_bootstrap_claims": m0005,
  "0006_session_families": m0006,
  "0007_membership_invitations": m0007,
  "0008_user_sessions_revoked_at": m0008,
  "0009_secret_header_values": m0009,
};
