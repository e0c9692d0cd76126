/** A decision table edited as a table: one column per input (a variable, or a JSON Logic expression), one row per
 * case; a cell is blank (any value), a value (equals), or an operation on the input as JSON (`{">": 100}`). */
import type { Variable } from "../rules/conditions";
import { ParsedInput } from "./ParsedInput";

const OUTCOMES = ["flag", "review", "reject", "approve"];
const SEVERITIES = ["info", "low", "medium", "high", "critical"];

/** What a cell's text means: blank is null (any), JSON is its value, other text is a string. */
export function readCell(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return null;
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

export function showCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string" && readCell(value) === value) return value;
  return JSON.stringify(value);
}

interface Props {
  table: Record<string, any>;
  index: number;
  variables: Variable[];
  onChange: (table: Record<string, any>) => void;
  errors: (path: string) => string | undefined;
}

export function DecisionTableEditor({ table, index, variables, onChange, errors }: Props) {
  const inputs: Record<string, any>[] = table.inputs ?? [];
  const rows: Record<string, any>[] = table.rows ?? [];
  const setRow = (r: number, row: Record<string, any>) => onChange({ ...table, rows: rows.map((x, i) => (i === r ? row : x)) });
  const setInput = (c: number, input: Record<string, any>) => onChange({ ...table, inputs: inputs.map((x, i) => (i === c ? input : x)) });
  const first = variables.find((v) => v.type !== "object");
  const label = `Table ${table.id || index + 1}`;
  const problem = errors(`tables[${index}]`);
  return (
    <div class="decision-table" data-table={table.id}>
      <div class="rule-fields">
        <label>
          Id <input aria-label={`${label}: id`} value={table.id ?? ""} onInput={(e) => onChange({ ...table, id: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          Name <input aria-label={`${label}: name`} value={table.name ?? ""} onInput={(e) => onChange({ ...table, name: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          Hits{" "}
          <select aria-label={`${label}: hit policy`} value={table.hit_policy ?? "first"} onChange={(e) => onChange({ ...table, hit_policy: (e.target as HTMLSelectElement).value })}>
            <option value="first">the first matching row</option>
            <option value="collect">every matching row</option>
          </select>
        </label>
      </div>
      {problem && <p class="field-error" role="alert">{problem}</p>}
      <div class="table-scroll">
        <table class="reviewers-table">
          <thead>
            <tr>
              <th>Row</th>
              {inputs.map((input, c) => (
                <th key={c}>
                  <input aria-label={`${label}: column ${c + 1} name`} value={input.name ?? ""} onInput={(e) => setInput(c, { ...input, name: (e.target as HTMLInputElement).value })} />
                  <ColumnExpression input={input} variables={variables} label={`${label}: column ${c + 1}`} onChange={(x) => setInput(c, x)} />
                  {inputs.length > 1 && (
                    <button type="button" class="link" onClick={() => onChange({ ...table, inputs: inputs.filter((_, i) => i !== c), rows: rows.map((r) => ({ ...r, when: (r.when ?? []).filter((_: unknown, i: number) => i !== c) })) })}>
                      Remove column
                    </button>
                  )}
                </th>
              ))}
              <th>Outcome</th>
              <th>Score</th>
              <th>Severity</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={r}>
                <td>
                  <input aria-label={`${label}: row ${r + 1} id`} size={8} value={row.id ?? ""} onInput={(e) => setRow(r, { ...row, id: (e.target as HTMLInputElement).value })} />
                </td>
                {inputs.map((_, c) => (
                  <td key={c}>
                    <ParsedInput
                      aria-label={`${label}: row ${r + 1}, column ${c + 1}`}
                      placeholder="any"
                      value={(row.when ?? [])[c] ?? null}
                      parse={readCell}
                      format={showCell}
                      onChange={(cell) => {
                        const when = [...(row.when ?? [])];
                        when[c] = cell;
                        setRow(r, { ...row, when });
                      }}
                    />
                  </td>
                ))}
                <td>
                  <select aria-label={`${label}: row ${r + 1} outcome`} value={row.outcome ?? "flag"} onChange={(e) => setRow(r, { ...row, outcome: (e.target as HTMLSelectElement).value })}>
                    {OUTCOMES.map((o) => <option key={o} value={o}>{o}</option>)}
                  </select>
                </td>
                <td>
                  <input aria-label={`${label}: row ${r + 1} score`} type="number" size={5} value={String(row.score ?? 0)} onInput={(e) => setRow(r, { ...row, score: Number((e.target as HTMLInputElement).value) })} />
                </td>
                <td>
                  <select aria-label={`${label}: row ${r + 1} severity`} value={row.severity ?? "medium"} onChange={(e) => setRow(r, { ...row, severity: (e.target as HTMLSelectElement).value })}>
                    {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
                  </select>
                </td>
                <td>
                  {rows.length > 1 && (
                    <button type="button" class="link" onClick={() => onChange({ ...table, rows: rows.filter((_, i) => i !== r) })}>
                      Remove
                    </button>
                  )}
                  {errors(`tables[${index}].rows[${r}]`) && <span class="field-error">{errors(`tables[${index}].rows[${r}]`)}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" class="link" onClick={() => onChange({ ...table, rows: [...rows, { id: `row-${rows.length + 1}`, when: inputs.map(() => null), outcome: "flag", score: 0 }] })}>
        + Row
      </button>{" "}
      {first && (
        <button type="button" class="link" onClick={() => onChange({ ...table, inputs: [...inputs, { name: first.path.split(".").pop(), expression: { var: first.path } }], rows: rows.map((r) => ({ ...r, when: [...(r.when ?? []), null] })) })}>
          + Column
        </button>
      )}
    </div>
  );
}

function ColumnExpression({ input, variables, label, onChange }: { input: Record<string, any>; variables: Variable[]; label: string; onChange: (input: Record<string, any>) => void }) {
  const expression = input.expression;
  const isVar = expression && typeof expression === "object" && Object.keys(expression).length === 1 && typeof expression.var === "string";
  if (!isVar) {
    return (
      <textarea
        aria-label={`${label} expression (JSON Logic)`}
        rows={2}
        spellcheck={false}
        value={JSON.stringify(expression)}
        onChange={(e) => {
          try {
            onChange({ ...input, expression: JSON.parse((e.target as HTMLTextAreaElement).value) });
          } catch {
            /* kept as typed until it is JSON */
          }
        }}
      />
    );
  }
  return (
    <select aria-label={`${label} variable`} value={expression.var} onChange={(e) => onChange({ ...input, expression: { var: (e.target as HTMLSelectElement).value } })}>
      {!variables.some((v) => v.path === expression.var) && <option value={expression.var}>{expression.var}</option>}
      {variables.map((v) => (
        <option key={v.path} value={v.path}>
          {v.path} ({v.type})
        </option>
      ))}
    </select>
  );
}
