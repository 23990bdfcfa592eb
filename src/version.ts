import { createRequire } from "node:module";

// src/ and dist/ both sit one level below package.json, so the same relative path works in tests
// (running the sources) and in the built package.
const pkg = createRequire(import.meta.url)("../package.json") as { version: string };

export const VERSION: string = pkg.version;
