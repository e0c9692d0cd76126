/** How a rule set version performs: hit rate and reviewers overturning each rule, screening false positives. */
import { useState } from "preact/hooks";
import { api, query } from "../api";
import { ErrorBox, Loading, Section } from "./ui";

interface RuleRow {
  rule_id: string;
  name: string;
  outcome: string;
  hits: number;
  hit_rate: number | null;
  decided_by_reviewer: number;
  overturned: number;
  overturn_rate: number | null;
}

interface Report {
  rule_set: { id: string; version: number };
  cases: number;
  truncated: boolean;
  rules: RuleRow[];
  screening: { matches: number; cleared: number; false_positive_rate: number | null; cases_with_matches: number };
}

function percent(rate: number | null): string {
  return rate === null ? "–" : `${Math.round(rate * 1000) / 10}%`;
}

export function RuleReport() {
  const [ruleSet, setRuleSet] = useState("kyb-default");
  const [version, setVersion] = useState("1");
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  async function show(event: Event) {
    event.preventDefault();
    setLoading(true);
    setError(null);
    try {
      setReport(await api<Report>("GET", `/v1/review/reports/rules${query({ rule_set: ruleSet.trim(), version })}`));
    } catch (exc) {
      setReport(null);
      setError(exc);
    } finally {
      setLoading(false);
    }
  }

  return (
    <Section title="Rule performance" id="rule-report">
      <form class="filters" onSubmit={show}>
        <label>
          Rule set
          <input name="rule_set" value={ruleSet} onInput={(e) => setRuleSet((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Version
          <input
            name="version"
            type="number"
            min={1}
            value={version}
            onInput={(e) => setVersion((e.target as HTMLInputElement).value)}
          />
        </label>
        <div class="filter-buttons">
          <button type="submit" class="primary" disabled={loading}>
            Show
          </button>
        </div>
      </form>
      {loading && <Loading what="the report" />}
      {error !== null && <ErrorBox error={error} />}
      {report && (
        <>
          <p class="muted small" data-testid="rule-report-summary">
            {report.cases} case{report.cases === 1 ? "" : "s"} assessed by {report.rule_set.id} v{report.rule_set.version}
            {report.truncated ? " (the most recent ones)" : ""}; screening: {report.screening.cleared} of{" "}
            {report.screening.matches} matches cleared as false positives ({percent(report.screening.false_positive_rate)})
          </p>
          <table class="rule-report">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Outcome</th>
                <th>Hits</th>
                <th>Hit rate</th>
                <th>Decided by a reviewer</th>
                <th>Overturned</th>
              </tr>
            </thead>
            <tbody>
              {report.rules.map((r) => (
                <tr key={r.rule_id} data-rule-id={r.rule_id}>
                  <td>{r.name}</td>
                  <td>{r.outcome}</td>
                  <td>{r.hits}</td>
                  <td>{percent(r.hit_rate)}</td>
                  <td>{r.decided_by_reviewer}</td>
                  <td>{r.overturn_rate === null ? "–" : `${r.overturned} (${percent(r.overturn_rate)})`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Section>
  );
}
