/** The case's history: audit entries and workflow steps, in time order. */
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

export function Timeline({ audit, path }: { audit: AuditEntry[]; path: Step[] }) {
  const items: Item[] = [
    ...audit.map(
      (e): Item => ({
        at: e.at,
        kind: "audit",
        title:
          label(e.action) + (e.from_state || e.to_state ? ` (${[e.from_state, e.to_state].filter(Boolean).map((s) => label(String(s))).join(" → ")})` : ""),
        who: e.actor ? `${e.actor.email || e.actor.id} (${e.actor.type})` : undefined,
        detail: e.reason,
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
