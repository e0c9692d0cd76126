/** Check results: sanctions matches with names and scores, names received with hidden characters made visible,
 * and every other check's data as it came. */
import { checkFacts } from "../facts";
import { useState } from "preact/hooks";
import { api } from "../api";
import { label, score, text } from "../format";
import { Dialog, Section } from "./ui";

interface MatchRow {
  name: string;
  listed: string;
  query: string;
  score: unknown;
  lists: string;
  suppressed: boolean;
  subject: string | null;
  entryId: string | null;
  /** The name as received, invisible characters written `<U+XXXX>`, when `query` is a reading of it. */
  received: string | null;
  readAs: string | null;
}

/** A screened party's name as received, when it carries invisible characters or looks spelled out. */
interface ReceivedName {
  subject: string;
  visible: string;
  invisible: string[];
  signs: string[];
  readings: { name: string; read_as: string }[];
}

function matchRow(m: Record<string, any>, party: Record<string, any> | null): MatchRow {
  return {
    name: m.entry?.caption ?? m.caption ?? m.name ?? m.entity?.name ?? "—",
    listed: m.explanation?.listed_name ?? m.matched_name ?? m.listed_name ?? (m.entry?.names ?? [])[0] ?? "—",
    query: m.explanation?.query_name ?? m.query_name ?? m.query ?? party?.name ?? "—",
    score: m.score ?? m.explanation?.name_score,
    lists: (m.entry?.datasets ?? m.datasets ?? m.lists ?? []).join(", "),
    suppressed: !!m.suppressed,
    subject: party?.subject ?? m.subject ?? null,
    entryId: m.entry?.id ?? m.entry_id ?? null,
    received: m.explanation?.received_visible ?? null,
    readAs: m.explanation?.read_as ?? null,
  };
}

/** Names the screening received with invisible characters or spelled out (`parties[].received`). */
function findReceived(data: Record<string, any>): ReceivedName[] {
  const found: ReceivedName[] = [];
  for (const party of Array.isArray(data.parties) ? data.parties : []) {
    for (const name of Array.isArray(party?.received) ? party.received : []) {
      if (!name || typeof name.visible !== "string") continue;
      found.push({
        subject: String(party.subject ?? ""),
        visible: name.visible,
        invisible: Array.isArray(name.invisible) ? name.invisible.map(String) : [],
        signs: Array.isArray(name.signs) ? name.signs.map(String) : [],
        readings: Array.isArray(name.readings) ? name.readings : [],
      });
    }
  }
  return found;
}

const SIGNS: Record<string, string> = {
  invisible_characters: "invisible characters",
  reordered: "displayed in another order than stored",
  spelled_out: "spelled out letter by letter",
};

/** A name with its invisible characters (written `<U+XXXX>` by the screening) marked, named on hover. */
function Visible({ text, invisible = [] }: { text: string; invisible?: string[] }) {
  const names = new Map(invisible.map((d) => [d.split(" ", 1)[0], d]));
  return (
    <bdi class="received-name">
      {text.split(/(<U\+[0-9A-F]{4,6}>)/).map((part, i) =>
        i % 2 ? (
          <mark key={i} class="invisible-char" title={names.get(part.slice(1, -1)) ?? part.slice(1, -1)}>
            {part.slice(1, -1)}
          </mark>
        ) : (
          part
        ),
      )}
    </bdi>
  );
}

/** Match lists in a check's data: `matches` at the top, or per screened party (`parties[].matches`). */
function findMatches(data: Record<string, any>): MatchRow[] {
  const rows: MatchRow[] = [];
  const visit = (value: any, party: Record<string, any> | null, depth: number) => {
    if (!value || typeof value !== "object" || depth > 3) return;
    if (Array.isArray(value)) return value.forEach((v) => visit(v, party, depth + 1));
    const owner = Array.isArray(value.matches) && (value.subject || value.name) ? value : party;
    for (const [key, child] of Object.entries(value)) {
      if ((key === "matches" || key === "hits") && Array.isArray(child))
        rows.push(...child.filter((m) => m && typeof m === "object").map((m) => matchRow(m, owner)));
      else visit(child, owner, depth + 1);
    }
  };
  visit(data, null, 0);
  return rows;
}

const facts = checkFacts;

function short(value: unknown): string {
  const shown = text(value);
  return shown.length > 48 ? `${shown.slice(0, 45)}…` : shown;
}

/** A check's data: scalars as they are, nested objects one level deep, long values shortened (hover for all). */
function Data({ data }: { data: Record<string, any> }) {
  const entries = Object.entries(data).filter(([key]) => key !== "matches" && key !== "parties");
  if (!entries.length) return null;
  return (
    <dl class="kv compact">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{label(key)}</dt>
          <dd>
            {value && typeof value === "object" && !Array.isArray(value) ? (
              <ul class="nested">
                {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
                  <li key={k} title={text(v)}>
                    <span class="muted">{label(k)}:</span> {short(v)}
                  </li>
                ))}
              </ul>
            ) : (
              <span title={text(value)}>{Array.isArray(value) ? value.map(short).join(", ") || "—" : short(value)}</span>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function ChecksPanel({
  caseId,
  checks,
  canClear,
  cleared,
  onCleared,
}: {
  caseId: string;
  checks: Record<string, Record<string, any>>;
  canClear: boolean;
  /** `check|subject|entry id` of the matches reviewers cleared on this case (from the audit trail). */
  cleared: Set<string>;
  onCleared: (message: string) => void;
}) {
  const names = Object.keys(checks ?? {});
  const [clearing, setClearing] = useState<{ check: string; match: MatchRow } | null>(null);
  return (
    <Section title="Checks" id="checks">
      {names.length === 0 && <p class="muted">No check has run on this case.</p>}
      {names.map((name) => {
        const result = checks[name] ?? {};
        const data = (result.data ?? {}) as Record<string, any>;
        const matches = findMatches(data);
        const received = findReceived(data);
        return (
          <article class="check" key={name} data-check={name}>
            <h3>
              {label(name)} <span class={`badge check-${result.status}`}>{label(String(result.status ?? "unknown"))}</span>
              {result.duration_ms !== undefined && <span class="muted small"> {result.duration_ms} ms</span>}
            </h3>
            {result.error && <p class="error">{result.error}</p>}
            {received.length > 0 && (
              <div class="received-names" data-testid="received-names">
                <p class="small">Names as received (hidden characters shown as code points):</p>
                <ul>
                  {received.map((r, i) => (
                    <li key={i} data-subject={r.subject} class={r.signs.length ? "obfuscated" : ""}>
                      <span class="muted small">{r.subject}</span> <Visible text={r.visible} invisible={r.invisible} />
                      {r.signs.length > 0 && <span class="badge sign">{r.signs.map((sign) => SIGNS[sign] ?? label(sign)).join(", ")}</span>}
                      {r.readings.length > 1 && (
                        <div class="muted small">
                          Screened as:{" "}
                          {r.readings.map((reading, j) => (
                            <span key={j} class="reading">
                              {j > 0 && "; "}
                              <bdi>{reading.name}</bdi> ({reading.read_as})
                            </span>
                          ))}
                        </div>
                      )}
                    </li>
                  ))}
                </ul>
              </div>
            )}
            {matches.length > 0 && (
              <table class="matches">
                <thead>
                  <tr>
                    <th>Listed entry</th>
                    <th>Matched name</th>
                    <th>Our name</th>
                    <th>Score</th>
                    <th class="wide">Lists</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {matches.map((m, i) => (
                    <tr key={i} class={m.suppressed ? "muted" : ""} data-entry={m.entryId ?? undefined}>
                      <td>
                        {m.name}
                        {m.subject && <div class="muted small">{m.subject}</div>}
                      </td>
                      <td>
                        <bdi>{m.listed}</bdi>
                      </td>
                      <td>
                        <bdi>{m.query}</bdi>
                        {m.received && (
                          <div class="small" data-testid="received-as">
                            received as <Visible text={m.received} />
                            {m.readAs && <span class="muted"> ({m.readAs})</span>}
                          </div>
                        )}
                      </td>
                      <td>{score(m.score)}</td>
                      <td class="wide">{m.lists || "—"}</td>
                      <td>
                        {m.suppressed || cleared.has(`${name}|${m.subject}|${m.entryId}`) ? (
                          <span class="small" data-testid="cleared">
                            Cleared
                          </span>
                        ) : (
                          canClear &&
                          m.subject &&
                          m.entryId && (
                            <button type="button" class="small" onClick={() => setClearing({ check: name, match: m })}>
                              Clear
                            </button>
                          )
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {facts(result).length > 0 ? (
              <>
                <ul class="facts" data-testid="check-facts">
                  {facts(result).map((fact, i) => (
                    <li key={i}>{fact}</li>
                  ))}
                </ul>
                <details class="raw">
                  <summary>Raw data</summary>
                  <Data data={data} />
                </details>
              </>
            ) : (
              <Data data={data} />
            )}
            {(result.flags ?? []).map((f: Record<string, any>, i: number) => (
              <p key={i} class={`flag severity-${f.severity}`}>
                ⚑ {f.message} <span class="muted small">({f.code})</span>
              </p>
            ))}
          </article>
        );
      })}
      {clearing && (
        <ClearDialog
          caseId={caseId}
          check={clearing.check}
          match={clearing.match}
          onClose={() => setClearing(null)}
          onCleared={(message) => {
            setClearing(null);
            onCleared(message);
          }}
        />
      )}
    </Section>
  );
}

/** A reviewer sets a screening match aside as a false positive, with the reason the audit trail keeps. */
function ClearDialog({
  caseId,
  check,
  match,
  onClose,
  onCleared,
}: {
  caseId: string;
  check: string;
  match: MatchRow;
  onClose: () => void;
  onCleared: (message: string) => void;
}) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    if (!reason.trim()) return setError("A reason is required.");
    setBusy(true);
    try {
      await api("POST", `/v1/review/cases/${encodeURIComponent(caseId)}/screening/clearances`, {
        check,
        subject: match.subject,
        entry_id: match.entryId,
        reason: reason.trim(),
      });
      onCleared(`The match with ${match.name} is cleared for ${match.subject}.`);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog title="Clear this match as a false positive?" onClose={onClose}>
      <form onSubmit={submit} noValidate class="decision-form">
        <p>
          {match.query} ({match.subject}) and <strong>{match.name}</strong>, score {score(match.score)}.
        </p>
        <label>
          Reason (required)
          <textarea name="clear-reason" rows={3} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Clear match
          </button>
        </div>
      </form>
    </Dialog>
  );
}
