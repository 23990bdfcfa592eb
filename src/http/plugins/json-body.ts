import type { FastifyInstance } from "fastify";
import { AppError } from "../../domain/errors.js";

/**
 * JSON bodies are parsed by Fastify's own parser, which refuses a `__proto__` key (and a
 * `constructor` holding `prototype`) anywhere in the body: a later merge or assignment of that key
 * would change an object's prototype. Refusing is kept (dropping the key instead would change what
 * the caller sent without a word), but Fastify reports it as a body that is not JSON, which it is;
 * here the refusal names the key. Bodies that parse are untouched, so the check costs nothing there.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, raw, done) => {
    // parseAs "string" gives text; the type allows a Buffer for the other parseAs.
    const body = typeof raw === "string" ? raw : raw.toString("utf8");
    void parse(request, body, (error, value) => {
      const field = error ? forbiddenKey(body) : undefined;
      if (field === undefined) {
        done(error, value);
        return;
      }
      done(
        new AppError("validation_failed", `${field} ${FORBIDDEN_KEY_MESSAGE}`, {
          issues: [{ field, message: FORBIDDEN_KEY_MESSAGE }],
        }),
        undefined,
      );
    });
  });
}

const FORBIDDEN_KEY_MESSAGE = "is not accepted as a key: it could change an object's prototype";

/**
 * The pointer to the first key Fastify's parser refuses, or undefined when the text is not JSON at
 * all. A stack of its own rather than recursion: the body may nest thousands of levels deep.
 */
function forbiddenKey(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
  const stack: { value: unknown; at: string }[] = [{ value, at: "" }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    if (typeof entry.value !== "object" || entry.value === null) continue;
    const node = entry.value as Record<string, unknown>;
    if (Object.hasOwn(node, "__proto__")) return `${entry.at}/__proto__`;
    const ctor = Object.hasOwn(node, "constructor") ? node.constructor : undefined;
    if (typeof ctor === "object" && ctor !== null && Object.hasOwn(ctor, "prototype")) {
      return `${entry.at}/constructor/prototype`;
    }
    // Stacked last key first, so the key named is the first in the text.
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: node[key], at: `${entry.at}/${key}` });
    }
  }
  return undefined;
}
