import type { SchemaError } from "./validate.js";

/**
 * Schema errors of a value that matched no branch of a union (anyOf), kept to the branch the caller
 * meant. A validator reports every branch's failures, so `{"role": "user", "content": null}` read
 * "/role must be equal to constant" (the system branch's complaint) before anything about the
 * content. A branch is ruled out when the value is not its kind: a constant on one of its
 * properties does not match (`role`, a part's `type`), or its type does not. The errors of ruled-out
 * branches are dropped when another branch is left; when none is left, they become one error that
 * names what would do (`must be one of: "system", "user"`, `must be string or array`).
 */

type Located = SchemaError & { schemaPath?: string };

/** A constant on a branch's own property (or a union of constants there): `<union>/<n>/properties/<key>`. */
const CONSTANT_IN_BRANCH = /^(.*\/anyOf)\/(\d+)\/properties\/([^/]+)(?:\/anyOf\/\d+)?$/;
/** The branch itself: its type, or the constant it is (a union of literals). */
const BRANCH_ITSELF = /^(.*\/anyOf)\/(\d+)$/;

/** Why a branch does not fit: its constant on a property differs, or the value is not what it is. */
type Reason =
  { on: "property"; key: string; allowed: unknown[] } | { on: "value"; allowed: unknown[]; types: unknown[] };

interface Union {
  /** The union's place in the schema: `.../anyOf`. */
  path: string;
  /** Where the union's value is: one schema union (an array's items) has a value per element. */
  instancePath: string;
  /** Every branch with an error, by index. */
  branches: Set<string>;
  /** Ruled-out branches, by index, and why. */
  ruledOut: Map<string, Reason>;
}

/** Whether the error comes from inside the union: its schema, at its value or below. */
function within(error: Located, union: Union, schemaPrefix = `${union.path}/`): boolean {
  return (
    error.schemaPath?.startsWith(schemaPrefix) === true &&
    (error.instancePath === union.instancePath || error.instancePath.startsWith(`${union.instancePath}/`))
  );
}

export function pruneUnionErrors<E extends Located>(errors: Iterable<E>): (E | SchemaError)[] {
  const all = [...errors];
  const unions = new Map<string, Union>();
  const unionOf = (path: string, instancePath: string): Union => {
    const key = `${instancePath}\n${path}`;
    let union = unions.get(key);
    if (union === undefined) {
      union = { path, instancePath, branches: new Set(), ruledOut: new Map() };
      unions.set(key, union);
    }
    return union;
  };

  for (const error of all) {
    const path = error.schemaPath;
    if (path === undefined) continue;
    const params = (error.params ?? {}) as Record<string, unknown>;
    const onProperty = error.keyword === "const" ? CONSTANT_IN_BRANCH.exec(path) : null;
    if (onProperty !== null) {
      const [, union, branch, key] = onProperty as unknown as [string, string, string, string];
      const suffix = `/${key}`;
      if (!error.instancePath.endsWith(suffix)) continue;
      const { ruledOut } = unionOf(union, error.instancePath.slice(0, -suffix.length));
      // A union of constants (`role: "system" | "developer"`) fails once per constant.
      const reason = ruledOut.get(branch);
      if (reason?.on === "property" && reason.key === key) reason.allowed.push(params.allowedValue);
      else ruledOut.set(branch, { on: "property", key, allowed: [params.allowedValue] });
      continue;
    }
    const itself = error.keyword === "const" || error.keyword === "type" ? BRANCH_ITSELF.exec(path) : null;
    if (itself !== null) {
      const [, union, branch] = itself as unknown as [string, string, string];
      unionOf(union, error.instancePath).ruledOut.set(
        branch,
        error.keyword === "const"
          ? { on: "value", allowed: [params.allowedValue], types: [] }
          : { on: "value", allowed: [], types: [params.type] },
      );
    }
  }
  if (unions.size === 0) return all;

  // Every branch that has an error at all: a union that failed failed in each of its branches.
  for (const error of all) {
    for (const union of unions.values()) {
      if (!within(error, union)) continue;
      const branch = /^\d+/.exec(error.schemaPath!.slice(union.path.length + 1))?.[0];
      if (branch !== undefined) union.branches.add(branch);
    }
  }

  // A union that is itself a branch of another (`("auto" | object) | null`) and that the value fits
  // in none of its branches rules that branch out the same way, deepest first.
  const deepestFirst = [...unions.values()].sort((a, b) => b.path.length - a.path.length);
  for (const union of deepestFirst) {
    const parent = /^(.*\/anyOf)\/(\d+)\/anyOf$/.exec(union.path);
    if (parent === null || union.ruledOut.size !== union.branches.size) continue;
    const reasons = inBranchOrder(union);
    if (!reasons.every((r) => r.on === "value")) continue;
    const [, parentPath, branch] = parent as unknown as [string, string, string];
    const outer = unionOf(parentPath, union.instancePath);
    outer.ruledOut.set(branch, {
      on: "value",
      allowed: reasons.flatMap((r) => (r.on === "value" ? r.allowed : [])),
      types: reasons.flatMap((r) => (r.on === "value" ? r.types : [])),
    });
    outer.branches.add(branch);
  }

  // What becomes of each union's errors: the ruled-out branches' dropped (another is left), all
  // of them summed up in one (none is left, for one reason), or all kept (no common reason).
  const plans: { union: Union; summary?: SchemaError; drop: (error: Located) => boolean }[] = [];
  // Outermost first: an outer union's summary stands for the inner ones' errors.
  for (const union of [...unions.values()].sort((a, b) => a.path.length - b.path.length)) {
    const own = (error: Located) =>
      error.keyword === "anyOf" &&
      error.instancePath === union.instancePath &&
      error.schemaPath === union.path.slice(0, -"/anyOf".length);
    // When every branch is ruled out, those whose constant on a property differs are still of the
    // value's kind (an object whose `type` is wrong): their errors are the ones that say what to fix.
    const ofAnotherKind = [...union.ruledOut].filter(([, reason]) => reason.on === "value");
    const partly = ofAnotherKind.length > 0 && ofAnotherKind.length < union.ruledOut.size;
    if (union.ruledOut.size < union.branches.size || partly) {
      const dropped = union.ruledOut.size < union.branches.size ? [...union.ruledOut] : ofAnotherKind;
      const prefixes = dropped.map(([branch]) => `${union.path}/${branch}`);
      plans.push({
        union,
        drop: (error) =>
          own(error) ||
          prefixes.some(
            (p) =>
              (error.schemaPath === p && error.instancePath === union.instancePath) ||
              within(error, union, `${p}/`),
          ),
      });
      continue;
    }
    const summary = summarize(union);
    if (summary !== undefined) {
      plans.push({ union, summary, drop: (error) => own(error) || within(error, union) });
    }
  }

  const kept: (E | SchemaError)[] = [];
  const summarized = new Set<Union>();
  for (const error of all) {
    const plan = plans.find((p) => p.drop(error));
    if (plan === undefined) {
      kept.push(error);
    } else if (plan.summary !== undefined && !summarized.has(plan.union)) {
      // In the place of the union's first error.
      kept.push(plan.summary);
      summarized.add(plan.union);
    }
  }
  return kept;
}

/** One error for a union none of whose branches fits: what would, when the branches agree on why. */
function summarize(union: Union): SchemaError | undefined {
  const reasons = inBranchOrder(union);
  const unique = (values: unknown[]) => [...new Set(values.map((v) => JSON.stringify(v)))];
  if (reasons.every((r) => r.on === "value")) {
    const constants = unique(reasons.flatMap((r) => r.allowed));
    const types = [...new Set(reasons.flatMap((r) => r.types.map(String)))];
    return {
      keyword: types.length === 0 ? "enum" : "type",
      instancePath: union.instancePath,
      params: { allowedValues: constants, type: types },
      message:
        types.length === 0
          ? `must be one of: ${constants.join(", ")}`
          : `must be ${list([...constants, ...types], "or")}`,
    };
  }
  const keys = new Set(reasons.map((r) => (r.on === "property" ? r.key : undefined)));
  if (keys.size === 1 && !keys.has(undefined)) {
    const [key] = keys as unknown as [string];
    const allowed = unique(reasons.flatMap((r) => r.allowed));
    return {
      keyword: "enum",
      instancePath: `${union.instancePath}/${key}`,
      params: { allowedValues: allowed },
      message: `must be one of: ${allowed.join(", ")}`,
    };
  }
  return undefined;
}

function list(items: readonly string[], conjunction: string): string {
  return items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)!}`;
}

/** A union's reasons in the order of its branches, so a summary lists them as the schema does. */
function inBranchOrder(union: Union): Reason[] {
  return [...union.ruledOut.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, reason]) => reason);
}
