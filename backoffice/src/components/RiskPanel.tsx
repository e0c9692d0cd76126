/** The risk score, the rule hits that explain it (with the values that triggered them), and the flags. */
import type { Case } from "../model";
import { readableValue } from "../facts";
import { label, text } from "../format";
import { RiskBadge, Section } from "./ui";

export function RiskPanel({ item, hits }: { item: Case; hits?: Record<string, any>[] }) {
  const risk = item.risk;
  const ruleHits = hits ?? risk?.hits ?? [];
  return (
    <Section title="Risk" id="risk">
      {risk ? (
        <p class="risk-summary">
          Score <strong data-testid="risk-score">{risk.score}</strong> <RiskBadge level={risk.level} /> · recommends{" "}
          <strong>{risk.recommendation}</strong>
          {risk.rule_set && (
            <span class="muted small">
              {" "}
              (rule set {risk.rule_set.id} v{risk.rule_set.version})
            </span>
          )}
        </p>
      ) : (
        <p class="muted">Not assessed yet.</p>
      )}
      {ruleHits.length > 0 && (
        <table class="hits">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Outcome</th>
              <th>Score</th>
              <th>Values</th>
            </tr>
          </thead>
          <tbody>
            {ruleHits.map((hit, i) => (
              <tr key={hit.rule_id ?? hit.id ?? i} data-rule={hit.rule_id ?? hit.id}>
                <td>
                  {hit.name ?? hit.rule_id ?? hit.rule ?? hit.id ?? `rule ${i + 1}`}
                  {hit.description && <div class="muted small">{hit.description}</div>}
                  {hit.explanation && <div class="small">{String(hit.explanation)}</div>}
                </td>
                <td>
                  {label(String(hit.outcome ?? "—"))}
                  {hit.severity && <span class={`badge risk-${hit.severity}`}>{label(String(hit.severity))}</span>}
                </td>
                <td>{text(hit.score)}</td>
                <td>
                  <Values values={hit.values ?? hit.inputs ?? hit.data} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(risk?.errors ?? []).map((e, i) => (
        <p class="error" key={i}>
          Rule error{e.rule_id ? ` in ${e.rule_id}` : ""}: {e.message ?? e.error ?? JSON.stringify(e)}
        </p>
      ))}
      {(item.flags ?? []).length > 0 && (
        <ul class="flags">
          {item.flags!.map((f, i) => (
            <li key={i} class={`flag severity-${f.severity}`}>
              ⚑ {f.message} <span class="muted small">({f.source ?? f.code}, {f.severity})</span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Values({ values }: { values: unknown }) {
  if (values === null || values === undefined) return <span class="muted">—</span>;
  if (typeof values !== "object") return <span>{text(values)}</span>;
  return (
    <span class="values">
      {Object.entries(values as Record<string, unknown>).map(([k, v]) => (
        <code key={k} title={text(v)}>
          {k} = {readableValue(v)}
        </code>
      ))}
    </span>
  );
}
