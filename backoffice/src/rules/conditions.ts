/** Rule conditions as forms: a JSON Logic condition read into groups of clauses (variable, operator, value) and
 * written back. A condition the form cannot show exactly (read back, it would differ) stays JSON. */

export type VariableType = "number" | "string" | "boolean" | "list" | "date" | "object";

export interface Variable {
  path: string;
  type: VariableType;
  description: string;
  examples: unknown[];
}

export interface Clause {
  kind: "clause";
  /** A variable's path; `list[].field` is a field of a list's items, read by `quantifier`. */
  path: string;
  op: string;
  value: unknown;
  /** Over a list's items: whether some, all or none of them must hold (`list[].field` paths only). */
  quantifier?: Quantifier;
}

export type Quantifier = "some" | "all" | "none";

export const QUANTIFIERS: [Quantifier, string][] = [["some", "any item of"], ["all", "every item of"], ["none", "no item of"]];

/** `list[].field` → ["list", "field"]; a path outside a list → null. */
export function splitItemPath(path: string): [string, string] | null {
  const at = path.indexOf("[].");
  return at < 0 ? null : [path.slice(0, at), path.slice(at + 3)];
}

export interface Group {
  kind: "group";
  mode: "all" | "any";
  items: Node[];
  /** Written as {"and"|"or": [...]} even with one item (as it was read). */
  wrap: boolean;
}

export type Node = Clause | Group;

/** The operators that fit each type: [operator, label]. */
export const OPERATORS: Record<VariableType, [string, string][]> = {
  number: [["==", "="], ["!=", "≠"], [">", ">"], [">=", "≥"], ["<", "<"], ["<=", "≤"]],
  string: [["==", "equals"], ["!=", "does not equal"], ["in", "is one of"], ["contains", "contains"], ["in_list", "is in the named list"]],
  boolean: [["is_true", "is true"], ["is_false", "is false"]],
  list: [["contains", "contains"], ["len>", "has more than"], ["len>=", "has at least"], ["len<", "has fewer than"], ["len==", "has exactly"]],
  date: [["before", "is before"], ["after", "is after"], ["==", "is on"]],
  object: [["!=", "is not empty (≠ null)"]],
};

const COMPARE = new Set(["==", "!=", ">", ">=", "<", "<="]);
const DATE = /^\d{4}-\d{2}-\d{2}/;

function isVar(value: unknown): value is { var: string } {
  return !!value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as any).var === "string";
}

function isLiteral(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function readClause(logic: unknown): Clause | null {
  if (!logic || typeof logic !== "object" || Array.isArray(logic)) return null;
  const keys = Object.keys(logic);
  if (keys.length !== 1) return null;
  const op = keys[0];
  const args = (logic as any)[op];
  if (!Array.isArray(args) || args.length !== 2) return null;
  const [left, right] = args;
  if (COMPARE.has(op) && isVar(left) && isLiteral(right)) {
    const path = left.var;
    if (path.endsWith(".length") && typeof right === "number" && ["==", ">", ">=", "<"].includes(op)) {
      return { kind: "clause", path: path.slice(0, -".length".length), op: `len${op}`, value: right };
    }
    if (op === "==" && typeof right === "boolean") return { kind: "clause", path, op: right ? "is_true" : "is_false", value: right };
    if ((op === "<" || op === ">") && typeof right === "string" && DATE.test(right)) {
      return { kind: "clause", path, op: op === "<" ? "before" : "after", value: right };
    }
    return { kind: "clause", path, op, value: right };
  }
  if (op === "in" && isVar(left) && Array.isArray(right) && right.every(isLiteral)) return { kind: "clause", path: left.var, op: "in", value: right };
  if (op === "in" && isLiteral(left) && isVar(right)) return { kind: "clause", path: right.var, op: "contains", value: left };
  if (op === "in_list" && isVar(left) && typeof right === "string") return { kind: "clause", path: left.var, op: "in_list", value: right };
  if ((op === "some" || op === "all" || op === "none") && isVar(left) && left.var) {
    const inner = readClause(right);
    if (inner && inner.path) return { ...inner, path: `${left.var}[].${inner.path}`, quantifier: op };
  }
  return null;
}

function readNode(logic: unknown): Node | null {
  if (logic && typeof logic === "object" && !Array.isArray(logic) && Object.keys(logic).length === 1) {
    const op = Object.keys(logic)[0];
    const items = (logic as any)[op];
    if ((op === "and" || op === "or") && Array.isArray(items) && items.length > 0) {
      const read = items.map(readNode);
      if (read.some((n) => n === null)) return null;
      return { kind: "group", mode: op === "and" ? "all" : "any", items: read as Node[], wrap: true };
    }
  }
  return readClause(logic);
}

/** The condition as a group the form shows, or null when the form cannot show it exactly. */
export function readCondition(logic: unknown): Group | null {
  const node = readNode(logic);
  if (node === null) return null;
  const group: Group = node.kind === "group" ? node : { kind: "group", mode: "all", items: [node], wrap: false };
  return JSON.stringify(writeCondition(group)) === JSON.stringify(logic) ? group : null;
}

function writeClause(clause: Clause): unknown {
  const items = splitItemPath(clause.path);
  if (items) {
    const [list, field] = items;
    return { [clause.quantifier ?? "some"]: [{ var: list }, writeClause({ ...clause, path: field, quantifier: undefined })] };
  }
  const v = { var: clause.path };
  switch (clause.op) {
    case "is_true":
      return { "==": [v, true] };
    case "is_false":
      return { "==": [v, false] };
    case "before":
      return { "<": [v, clause.value] };
    case "after":
      return { ">": [v, clause.value] };
    case "contains":
      return { in: [clause.value, v] };
    case "in":
      return { in: [v, clause.value] };
    case "in_list":
      return { in_list: [v, clause.value] };
    default:
      if (clause.op.startsWith("len")) return { [clause.op.slice(3)]: [{ var: `${clause.path}.length` }, clause.value] };
      return { [clause.op]: [v, clause.value] };
  }
}

export function writeCondition(node: Node): unknown {
  if (node.kind === "clause") return writeClause(node);
  if (node.items.length === 1 && !node.wrap) return writeCondition(node.items[0]);
  return { [node.mode === "all" ? "and" : "or"]: node.items.map(writeCondition) };
}

/** A new clause on a variable: its type's first operator and a value of that type (an example when there is one). */
export function newClause(variable: Variable): Clause {
  const op = OPERATORS[variable.type][0][0];
  const clause: Clause = { kind: "clause", path: variable.path, op, value: defaultValue(variable, op) };
  if (splitItemPath(variable.path)) clause.quantifier = "some";
  return clause;
}

export function defaultValue(variable: Variable | undefined, op: string): unknown {
  if (op === "is_true") return true;
  if (op === "is_false") return false;
  if (op === "in") return [];
  if (op === "in_list") return "high_risk_countries";
  if (op.startsWith("len")) return 0;
  const example = variable?.examples.find((e) => isLiteral(e));
  if (variable?.type === "number") return typeof example === "number" ? example : 0;
  if (variable?.type === "date") return typeof example === "string" ? example.slice(0, 10) : "2020-01-01";
  if (variable?.type === "list") return "";
  return example ?? "";
}

/** The type of what a clause compares: a variable's, else guessed from the value. */
export function clauseType(clause: Clause, variables: Map<string, Variable>): VariableType {
  const known = variables.get(clause.path);
  if (known) return known.type;
  if (clause.op.startsWith("len") || clause.op === "contains") return "list";
  if (clause.op === "is_true" || clause.op === "is_false") return "boolean";
  if (clause.op === "before" || clause.op === "after") return "date";
  return typeof clause.value === "number" ? "number" : "string";
}
