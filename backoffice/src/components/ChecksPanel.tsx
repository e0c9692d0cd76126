/** Check results: sanctions matches with names and scores, and every other check's data as it came. */
import { label, score, text } from "../format";
import { Section } from "./ui";

interface MatchRow {
  name: string;
  listed: string;
  query: string;
  score: unknown;
  lists: string;
  suppressed: boolean;
}

/** Match lists anywhere one level deep in a check's data (`matches`, or per-person `results[].matches`). */
function findMatches(data: Record<string, any>): MatchRow[] {
  const found: Record<string, any>[] = [];
  const visit = (value: any, depth: number) => {
    if (!value || typeof value !== "object" || depth > 3) return;
    if (Array.isArray(value)) return value.forEach((v) => visit(v, depth + 1));
    for (const [key, child] of Object.entries(value)) {
      if ((key === "matches" || key === "hits") && Array.isArray(child)) found.push(...child.filter((m) => m && typeof m === "object"));
      else visit(child, depth + 1);
    }
  };
  visit(data, 0);
  return found.map((m) => ({
    name: m.entry?.caption ?? m.caption ?? m.name ?? m.entity?.name ?? "—",
    listed: m.explanation?.listed_name ?? m.matched_name ?? m.listed_name ?? (m.entry?.names ?? [])[0] ?? "—",
    query: m.explanation?.query_name ?? m.query_name ?? m.query ?? "—",
    score: m.score ?? m.explanation?.name_score,
    lists: (m.entry?.datasets ?? m.datasets ?? m.lists ?? []).join(", "),
    suppressed: !!m.suppressed,
  }));
}

function Data({ data }: { data: Record<string, any> }) {
  const entries = Object.entries(data).filter(([key]) => key !== "matches");
  if (!entries.length) return null;
  return (
    <dl class="kv compact">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{label(key)}</dt>
          <dd>{typeof value === "object" && value !== null ? <pre>{JSON.stringify(value, null, 2)}</pre> : text(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ChecksPanel({ checks }: { checks: Record<string, Record<string, any>> }) {
  const names = Object.keys(checks ?? {});
  return (
    <Section title="Checks" id="checks">
      {names.length === 0 && <p class="muted">No check has run on this case.</p>}
      {names.map((name) => {
        const result = checks[name] ?? {};
        const data = (result.data ?? {}) as Record<string, any>;
        const matches = findMatches(data);
        return (
          <article class="check" key={name} data-check={name}>
            <h3>
              {label(name)} <span class={`badge check-${result.status}`}>{label(String(result.status ?? "unknown"))}</span>
              {result.duration_ms !== undefined && <span class="muted small"> {result.duration_ms} ms</span>}
            </h3>
            {result.error && <p class="error">{result.error}</p>}
            {matches.length > 0 && (
              <table class="matches">
                <thead>
                  <tr>
                    <th>Listed entry</th>
                    <th>Matched name</th>
                    <th>Our name</th>
                    <th>Score</th>
                    <th class="wide">Lists</th>
                  </tr>
                </thead>
                <tbody>
                  {matches.map((m, i) => (
                    <tr key={i} class={m.suppressed ? "muted" : ""}>
                      <td>{m.name}</td>
                      <td>{m.listed}</td>
                      <td>{m.query}</td>
                      <td>{score(m.score)}</td>
                      <td class="wide">{m.lists || "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <Data data={data} />
            {(result.flags ?? []).map((f: Record<string, any>, i: number) => (
              <p key={i} class={`flag severity-${f.severity}`}>
                ⚑ {f.message} <span class="muted small">({f.code})</span>
              </p>
            ))}
          </article>
        );
      })}
    </Section>
  );
}
