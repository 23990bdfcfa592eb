import { type Static, Type } from "typebox";

/**
 * The settings DTOs, shared by the HTTP routes and the library API. `value` and `default` are typed
 * per key by the registry; here they stay open because one list carries every key.
 */

export const SettingKeyParam = Type.String({
  minLength: 1,
  maxLength: 128,
  description: "A key from the settings registry, such as auth.registration",
});

export const SettingView = Type.Object(
  {
    key: Type.String({ description: "The setting's key in the registry" }),
    value: Type.Unknown({ description: "The value in effect: the stored one, or the default" }),
    default: Type.Unknown({ description: "The value used when none is stored" }),
    description: Type.String(),
    is_default: Type.Boolean({
      description: "True when no valid value is stored, so the default is in effect",
    }),
    updated_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
      description: "When an admin last set the value; null while the default is in effect",
    }),
    updated_by: Type.Union([Type.String(), Type.Null()], {
      description: "The user who last set the value; null for the default or a system actor",
    }),
  },
  { additionalProperties: false },
);
export type SettingView = Static<typeof SettingView>;

export const SettingList = Type.Object({ items: Type.Array(SettingView) }, { additionalProperties: false });
export type SettingList = Static<typeof SettingList>;

export const PutSettingBody = Type.Object(
  { value: Type.Unknown({ description: "Checked against the key's schema in the registry" }) },
  { additionalProperties: false },
);
export type PutSettingBody = Static<typeof PutSettingBody>;
