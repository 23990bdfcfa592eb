/**
 * Every migration, in order, as the tests expect them: written out rather than read from
 * src/db/migrations, so a migration added, renamed or dropped is a test change someone makes on purpose.
 */
export const MIGRATION_NAMES = [
  "0001_identity",
  "0002_connections",
  "0003_operations",
  "0004_health_hysteresis",
  "0005_bootstrap_claims",
  "0006_session_families",
  "0007_membership_invitations",
  "0008_user_sessions_revoked_at",
  "0009_secret_header_values",
] as const;
