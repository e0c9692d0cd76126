/** A rule's condition as a form: groups (all / any) of clauses, each a variable picked from the workflow's list, an
 * operator that fits its type and a value. */
import { ParsedInput } from "./ParsedInput";
import { clauseType, defaultValue, newClause, OPERATORS, QUANTIFIERS, type Clause, type Group, type Node, type Quantifier, type Variable } from "../rules/conditions";

interface Props {
  group: Group;
  variables: Variable[];
  onChange: (group: Group) => void;
  label: string;
  depth?: number;
}

export function ConditionBuilder({ group, variables, onChange, label, depth = 0 }: Props) {
  const byPath = new Map(variables.map((v) => [v.path, v]));
  const replace = (index: number, node: Node | null) => {
    const items = group.items.slice();
    if (node === null) items.splice(index, 1);
    else items[index] = node;
    onChange({ ...group, items });
  };
  const first = variables.find((v) => v.type !== "object") ?? variables[0];
  return (
    <fieldset class={`condition-group depth-${depth}`} aria-label={label}>
      <legend>
        <label>
          Hits when{" "}
          <select aria-label={`${label}: all or any`} value={group.mode} onChange={(e) => onChange({ ...group, mode: (e.target as HTMLSelectElement).value as Group["mode"], wrap: true })}>
            <option value="all">all of these hold</option>
            <option value="any">any of these holds</option>
          </select>
        </label>
      </legend>
      <ol class="clauses">
        {group.items.map((node, index) => (
          <li key={index}>
            {node.kind === "group" ? (
              <ConditionBuilder group={node} variables={variables} onChange={(g) => replace(index, g)} label={`${label}, group ${index + 1}`} depth={depth + 1} />
            ) : (
              <ClauseRow clause={node} variables={variables} byPath={byPath} label={`${label}, clause ${index + 1}`} onChange={(c) => replace(index, c)} />
            )}
            {group.items.length > 1 && (
              <button type="button" class="link" aria-label={`Remove ${node.kind === "group" ? "group" : "clause"} ${index + 1} of ${label}`} onClick={() => replace(index, null)}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ol>
      {first && (
        <div class="condition-actions">
          <button type="button" class="link" onClick={() => onChange({ ...group, items: [...group.items, newClause(first)] })}>
            + Clause
          </button>
          {depth < 2 && (
            <button type="button" class="link" onClick={() => onChange({ ...group, items: [...group.items, { kind: "group", mode: "any", items: [newClause(first)], wrap: true }] })}>
              + Group
            </button>
          )}
        </div>
      )}
    </fieldset>
  );
}

function ClauseRow({ clause, variables, byPath, label, onChange }: { clause: Clause; variables: Variable[]; byPath: Map<string, Variable>; label: string; onChange: (clause: Clause) => void }) {
  const type = clauseType(clause, byPath);
  const variable = byPath.get(clause.path);
  const operators = OPERATORS[type];
  const listId = `examples-${label.replace(/[^a-z0-9]+/gi, "-")}`;
  return (
    <div class={`clause${clause.quantifier ? " over-items" : ""}`}>
      {clause.quantifier && (
        <select aria-label={`${label}: items`} value={clause.quantifier} onChange={(e) => onChange({ ...clause, quantifier: (e.target as HTMLSelectElement).value as Quantifier })}>
          {QUANTIFIERS.map(([q, text]) => (
            <option key={q} value={q}>
              {text}
            </option>
          ))}
        </select>
      )}
      <select
        aria-label={`${label}: variable`}
        value={clause.path}
        onChange={(e) => {
          const picked = byPath.get((e.target as HTMLSelectElement).value);
          if (picked) onChange(newClause(picked));
        }}
      >
        {!variable && <option value={clause.path}>{clause.path} (not in the list)</option>}
        {variables.map((v) => (
          <option key={v.path} value={v.path} title={v.description}>
            {v.path} ({v.type})
          </option>
        ))}
      </select>
      <select
        aria-label={`${label}: operator`}
        value={clause.op}
        onChange={(e) => {
          const op = (e.target as HTMLSelectElement).value;
          onChange({ ...clause, op, value: defaultValue(variable, op) });
        }}
      >
        {!operators.some(([op]) => op === clause.op) && <option value={clause.op}>{clause.op}</option>}
        {operators.map(([op, text]) => (
          <option key={op} value={op}>
            {text}
          </option>
        ))}
      </select>
      <ValueInput clause={clause} type={type} label={label} listId={listId} onChange={(value) => onChange({ ...clause, value })} />
      {variable && variable.examples.length > 0 && (
        <datalist id={listId}>
          {variable.examples.filter((e) => typeof e !== "object").map((e) => (
            <option key={String(e)} value={String(e)} />
          ))}
        </datalist>
      )}
      {variable && (
        <span class="muted variable-help">
          {variable.description}
          {variable.examples.length > 0 && ` · e.g. ${variable.examples.map((e) => JSON.stringify(e)).join(", ")}`}
        </span>
      )}
    </div>
  );
}

function ValueInput({ clause, type, label, listId, onChange }: { clause: Clause; type: string; label: string; listId: string; onChange: (value: unknown) => void }) {
  const name = `${label}: value`;
  if (clause.op === "is_true" || clause.op === "is_false") return null;
  if (clause.op === "in") {
    return (
      <ParsedInput
        aria-label={name}
        placeholder="comma-separated values"
        value={Array.isArray(clause.value) ? clause.value : []}
        parse={(text) => text.split(",").map((s) => s.trim()).filter(Boolean)}
        format={(values) => (values as unknown[]).join(", ")}
        onChange={onChange}
      />
    );
  }
  if (type === "number" || clause.op.startsWith("len")) {
    return <input aria-label={name} type="number" step="any" value={String(clause.value ?? "")} onInput={(e) => onChange(Number((e.target as HTMLInputElement).value))} />;
  }
  if (type === "date") {
    return <input aria-label={name} type="date" value={String(clause.value ?? "").slice(0, 10)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />;
  }
  return <input aria-label={name} list={listId} value={String(clause.value ?? "")} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />;
}
