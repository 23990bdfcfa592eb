// @ts-check
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "dist-examples/", "node_modules/", "coverage/", "data/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  prettier,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message: "Only src/config.ts reads the environment; take the value from Config.",
        },
      ],
    },
  },
  {
    // The one reader of the environment, and the test harness that finds the test servers.
    files: ["src/config.ts", "test/support/test-env.ts", "test/support/cli.ts"],
    rules: { "no-restricted-properties": "off" },
  },
  {
    // The benchmarks: plain Node scripts, configured through the environment.
    files: ["bench/**/*.mjs"],
    languageOptions: {
      globals: Object.fromEntries(
        [
          "process",
          "console",
          "fetch",
          "AbortSignal",
          "Buffer",
          "URL",
          "setTimeout",
          "clearTimeout",
          "setInterval",
          "clearInterval",
        ].map((name) => [name, "readonly"]),
      ),
    },
    rules: { "no-restricted-properties": "off" },
  },
);
