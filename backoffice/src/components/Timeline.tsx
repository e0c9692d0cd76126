/** The case's history: audit entries and workflow steps, in time order. */
import { useState } from "preact/hooks";
import { download } from "../api";
import { label, when } from "../format";
import type { AuditEntry, Step } from "../model";
import { Section } from "./ui";

interface Item {
  at: string;
  kind: "audit" | "step";
  title: string;
  who?: string;
  detail?: string | null;
  status?: string;
}

/** Saves the case's audit trail as CSV (every entry with its hash, as the API stores it). */
function ExportAudit({ caseId }: { caseId: string }) {
  const [state, setState] = useState<"idle" | "busy" | "failed">("idle");
  async function save() {
    setState("busy");
    try {
      await download(`/v1/review/cases/${encodeURIComponent(caseId)}/audit.csv`, `audit-${caseId}.csv`);
      setState("idle");
    } catch {
      setState("failed");
    }
  }
  return (
    <p class="export-audit">
      <button type="button" class="small" onClick={save} disabled={state === "busy"}>
        {state === "busy" ? "Exporting…" : "Export CSV"}
      </button>
      {state === "failed" && (
        <span class="error small" role="alert">
          {" "}
          The audit trail could not be exported; retry.
        </span>
      )}
    </p>
  );
}

/** What an entry says beyond its title: its reason, the fields a revision sent back, whom an e-mail went to. */
function auditDetail(e: AuditEntry): string | null | undefined {
  const details = e.details ?? {};
  if (e.action.startsWith("collection.email_")) {
    const failed = details.error ? ` (not sent: ${String(details.error)})` : "";
    return `${label(String(details.kind ?? "message"))} to ${String(details.to ?? "?")}${failed}`;
  }
  const fields = Array.isArray(details.fields) && details.fields.length ? `Fields sent back: ${details.fields.join(", ")}` : "";
  return [e.reason, fields].filter(Boolean).join(" · ") || e.reason;
}

export function Timeline({ audit, path, caseId }: { audit: AuditEntry[]; path: Step[]; caseId: string }) {
  const items: Item[] = [
    ...audit.map(
      (e): Item => ({
        at: e.at,
        kind: "audit",
        title:
          label(e.action) + (e.from_state || e.to_state ? ` (${[e.from_state, e.to_state].filter(Boolean).map((s) => label(String(s))).join(" → ")})` : ""),
        who: e.actor ? `${e.actor.email || e.actor.id} (${e.actor.type})` : undefined,
        detail: auditDetail(e),
      }),
    ),
    ...path.map(
      (s): Item => ({
        at: s.entered_at,
        kind: "step",
        title: `Workflow step ${s.state}${s.item ? ` (${s.item})` : ""}`,
        status: s.status,
        detail: s.error ?? null,
      }),
    ),
  ].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  return (
    <Section title="Timeline" id="timeline">
      <ExportAudit caseId={caseId} />
      {items.length === 0 && <p class="muted">Nothing has happened yet.</p>}
      <ol class="timeline">
        {items.map((item, i) => (
          <li key={i} class={`timeline-${item.kind}`}>
            <time dateTime={item.at}>{when(item.at)}</time>
            <div>
              <strong>{item.title}</strong>
              {item.status && <span class={`badge step-${item.status}`}>{label(item.status)}</span>}
              {item.who && <span class="muted small"> by {item.who}</span>}
              {item.detail && <p class="small">{item.detail}</p>}
            </div>
          </li>
        ))}
      </ol>
    </Section>
  );
}
