import type { ColumnType, Generated, GeneratedAlways } from "kysely";

/**
 * The tables as Kysely sees them, kept beside the migrations that create them. Dialects return some
 * values in their own shape (SQLite: timestamps as ISO text, booleans as 0/1; MariaDB: JSON as text),
 * so selects are typed wide and repositories normalize with db/values.ts.
 */

/** UTC instant: a Date from PostgreSQL and MySQL, ISO-8601 text from SQLite. */
export type Timestamp = ColumnType<Date | string, Date | string, Date | string>;
export type TimestampWithDefault = ColumnType<Date | string, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<
  Date | string | null,
  Date | string | null | undefined,
  Date | string | null
>;
/** Written as a boolean; read as a boolean (PostgreSQL) or 0/1 (SQLite, MySQL). */
export type Bool = ColumnType<boolean | number, boolean | undefined, boolean>;
/** Written as JSON text; read parsed (PostgreSQL jsonb, MySQL) or as text (SQLite, MariaDB). */
export type Json = ColumnType<unknown, string | null | undefined, string | null>;

export type UserStatus = "active" | "disabled";
export type MembershipRole = "owner" | "admin" | "member";
export type ConnectionScope = "system" | "org" | "user";
export type HealthStatus = "unknown" | "ok" | "failed";
export type JobStatus = "queued" | "running" | "completed" | "failed" | "cancelled";
export type LogLevelName = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string | null;
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
  /** When all the user's sessions were last revoked; access tokens issued before are refused. */
  sessions_revoked_at: NullableTimestamp;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface ProfilesTable {
  user_id: string;
  display_name: string | null;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface RolesTable {
  id: string;
  name: string;
  description: string | null;
  is_builtin: Bool;
  created_at: TimestampWithDefault;
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
  created_at: TimestampWithDefault;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  family_id: string;
  refresh_token_hash: string;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  rotated_at: NullableTimestamp;
  ip: string | null;
  user_agent: string | null;
  created_at: TimestampWithDefault;
}

/** One login: the family its rotated refresh tokens share; revoking it ends them all. */
export interface SessionFamiliesTable {
  id: string;
  user_id: string;
  revoked_at: NullableTimestamp;
  created_at: TimestampWithDefault;
}

export interface BootstrapClaimsTable {
  claim: string;
  user_id: string;
  created_at: TimestampWithDefault;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  scopes: Json;
  rate_limit_rpm: number | null;
  rate_limit_tpm: number | null;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: TimestampWithDefault;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: MembershipRole;
  created_at: TimestampWithDefault;
  /** When the user accepted the invitation; null while it is pending, and a pending one grants nothing. */
  accepted_at: NullableTimestamp;
}

export interface LlmProvidersTable {
  id: string;
  scope: ConnectionScope;
  user_id: string | null;
  org_id: string | null;
  /** Derived by the database from user_id / org_id: `system`, `org:<id>` or `user:<id>`. */
  owner_key: GeneratedAlways<string>;
  name: string;
  provider_type: string;
  base_url: string | null;
  model: string | null;
  api_key_encrypted: string | null;
  api_key_ref: string | null;
  api_key_hint: string | null;
  config: Json;
  /** The values of config.headers' credential-like names, as one encrypted envelope of a JSON object. */
  secret_headers_encrypted: string | null;
  timeout_seconds: Generated<number>;
  context_window: number | null;
  is_default: Bool;
  is_enabled: Bool;
  health_status: ColumnType<HealthStatus, HealthStatus | undefined, HealthStatus>;
  last_tested_at: NullableTimestamp;
  last_error: string | null;
  consecutive_failures: Generated<number>;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

/** A read-only view (seed 000's frozen columns) over the user's default user-scope connection. */
export interface UserLlmProfilesView {
  id: ColumnType<string, never, never>;
  user_id: ColumnType<string, never, never>;
  provider: ColumnType<string, never, never>;
  base_url: ColumnType<string | null, never, never>;
  model: ColumnType<string | null, never, never>;
  api_key_encrypted: ColumnType<string | null, never, never>;
  timeout_seconds: ColumnType<number, never, never>;
  context_window: ColumnType<number | null, never, never>;
  health_status: ColumnType<HealthStatus, never, never>;
  last_tested_at: ColumnType<Date | string | null, never, never>;
  created_at: ColumnType<Date | string, never, never>;
  updated_at: ColumnType<Date | string, never, never>;
}

export interface SettingsTable {
  id: string;
  key: string;
  value: string;
  description: string | null;
  updated_by: string | null;
  updated_at: TimestampWithDefault;
}

export interface PluginsTable {
  id: string;
  name: string;
  slug: string;
  version: string;
  enabled: Bool;
  config_json: Json;
  installed_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface GenerationJobsTable {
  id: string;
  user_id: string;
  kind: string;
  status: ColumnType<JobStatus, JobStatus | undefined, JobStatus>;
  progress: Generated<number>;
  input: Json;
  result: Json;
  error_msg: string | null;
  attempts: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: NullableTimestamp;
  run_after: TimestampWithDefault;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface SystemLogsTable {
  id: string;
  level: LogLevelName;
  message: string;
  context: Json;
  created_at: TimestampWithDefault;
}

export interface AuditLogsTable {
  id: string;
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  details: Json;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: TimestampWithDefault;
}

export interface UsageRecordsTable {
  id: string;
  user_id: string;
  api_key_id: string | null;
  connection_id: string | null;
  endpoint: string;
  provider_type: string | null;
  model: string | null;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  latency_ms: Generated<number>;
  status_code: number;
  error_code: string | null;
  created_at: TimestampWithDefault;
}

export interface Database {
  users: UsersTable;
  profiles: ProfilesTable;
  roles: RolesTable;
  user_roles: UserRolesTable;
  sessions: SessionsTable;
  session_families: SessionFamiliesTable;
  bootstrap_claims: BootstrapClaimsTable;
  api_keys: ApiKeysTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  llm_providers: LlmProvidersTable;
  user_llm_profiles: UserLlmProfilesView;
  settings: SettingsTable;
  plugins: PluginsTable;
  generation_jobs: GenerationJobsTable;
  system_logs: SystemLogsTable;
  audit_logs: AuditLogsTable;
  usage_records: UsageRecordsTable;
}
