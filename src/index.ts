export {
  type ComposeOptions,
  createSwitchyard,
  type Switchyard,
  type SwitchyardOptions,
  type SwitchyardServices,
} from "./app.js";
export { type Config, ConfigError, loadConfig } from "./config.js";
export { DatabaseUnreachableError } from "./db/connect-database.js";
export { DatabaseLostError } from "./db/database-lost.js";
export { type Actor, systemActor, userActor } from "./domain/actor.js";
export { AppError, type ErrorCode } from "./domain/errors.js";
export type { SettingKey, SettingValue } from "./domain/settings/settings.registry.js";
export type { SettingsService } from "./domain/settings/settings.service.js";
export { VERSION } from "./version.js";
