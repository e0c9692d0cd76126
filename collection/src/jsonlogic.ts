// The few JSON Logic operators a journey's conditions use, for the conditions the site evaluates itself (a
// per-owner document slot, over `owner`); the server evaluates every other condition.

type Logic = unknown;

function lookup(data: unknown, path: string): unknown {
  if (path === "") return data;
  let value: unknown = data;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return null;
    value = (value as Record<string, unknown>)[part];
  }
  return value ?? null;
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

export function evaluate(logic: Logic, data: unknown): unknown {
  if (Array.isArray(logic)) return logic.map((item) => evaluate(item, data));
  if (logic === null || typeof logic !== "object") return logic;
  const [operator] = Object.keys(logic);
  const raw = (logic as Record<string, unknown>)[operator];
  const args = Array.isArray(raw) ? raw : [raw];
  if (operator === "var") {
    const value = lookup(data, String(evaluate(args[0], data) ?? ""));
    return value === null && args.length > 1 ? evaluate(args[1], data) : value;
  }
  if (operator === "and") {
    let last: unknown = true;
    for (const arg of args) if (!truthy((last = evaluate(arg, data)))) return last;
    return last;
  }
  if (operator === "or") {
    let last: unknown = false;
    for (const arg of args) if (truthy((last = evaluate(arg, data)))) return last;
    return last;
  }
  const values = args.map((arg) => evaluate(arg, data));
  const [a, b] = values as [any, any];
  switch (operator) {
    case "==":
      // eslint-disable-next-line eqeqeq
      return a == b;
    case "===":
      return a === b;
    case "!=":
      // eslint-disable-next-line eqeqeq
      return a != b;
    case "!==":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case "!":
      return !truthy(a);
    case "!!":
      return truthy(a);
    case "in":
      return Array.isArray(b) ? b.includes(a) : String(b ?? "").includes(String(a));
    default:
      return false;
  }
}

/** True when a condition holds on the data (no condition: always). */
export function shows(condition: Logic | null | undefined, data: unknown): boolean {
  return condition === null || condition === undefined || truthy(evaluate(condition, data));
}
