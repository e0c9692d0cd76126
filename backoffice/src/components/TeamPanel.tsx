/** Working a case as a team: assign it to a colleague from the reviewer directory, escalate it to a role with a
 * reason (only reviewers holding that role then decide it), or hand an escalated case back. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { label, when } from "../format";
import { useLoad } from "../hooks";
import type { Action, Case, Me, Reviewer } from "../model";
import { Dialog, Section } from "./ui";

/** The reviewer directory, and the roles a case can be escalated to. */
function useTeam() {
  return useLoad(() => api<{ items: Reviewer[]; escalation_roles: string[] }>("GET", "/v1/review/reviewers"), []);
}

export function TeamPanel({
  item,
  me,
  actions,
  busy,
  perform,
}: {
  item: Case;
  me: Me | null;
  actions: Record<string, Action>;
  busy: boolean;
  perform: (doing: () => Promise<unknown>, done: string) => Promise<boolean>;
}) {
  const team = useTeam();
  const [colleague, setColleague] = useState("");
  const [escalating, setEscalating] = useState(false);
  const [handingBack, setHandingBack] = useState(false);
  const url = `/v1/review/cases/${encodeURIComponent(item.id)}`;
  const assign = actions.assign;
  const assignedToMe = !!me && item.assignee?.id === me.id;
  const colleagues = (team.data?.items ?? []).filter((r) => r.enabled && r.id !== me?.id && r.roles.some((role) => role !== "viewer"));
  const who = (r: Reviewer) => (r.name ? `${r.name} (${r.email ?? r.id})` : r.email || r.id);
  const escalation = item.escalation;

  return (
    <>
      <Section title="Assignment" id="assignment">
        <p data-testid="assignee">
          {item.assignee ? `Assigned to ${assignedToMe ? "you" : item.assignee.email || item.assignee.id}` : "Unassigned"}
        </p>
        <div class="assign-actions">
          {item.assignee ? (
            <button type="button" class="action-unassign" disabled={!assign?.allowed || busy} onClick={() => perform(() => api("POST", `${url}/unassign`), "Case unassigned.")}>
              Unassign
            </button>
          ) : (
            <button
              type="button"
              class="action-assign"
              disabled={!assign?.allowed || busy}
              onClick={() => perform(() => api("POST", `${url}/assign`, { assignee: "me" }), "Case assigned to you.")}
            >
              Assign to me
            </button>
          )}
          <form
            class="assign-colleague"
            onSubmit={(event) => {
              event.preventDefault();
              const chosen = colleagues.find((r) => r.id === colleague);
              if (chosen) void perform(() => api("POST", `${url}/assign`, { assignee: chosen.id }), `Case assigned to ${who(chosen)}.`).then(() => setColleague(""));
            }}
          >
            <label class="small">
              Assign to a colleague
              <select name="colleague" value={colleague} disabled={!assign?.allowed || busy} onChange={(e) => setColleague((e.target as HTMLSelectElement).value)}>
                <option value="">Choose…</option>
                {colleagues.map((r) => (
                  <option key={r.id} value={r.id}>
                    {who(r)} — {r.roles.join(", ")}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={!assign?.allowed || busy || !colleague}>
              Assign
            </button>
          </form>
        </div>
        {!assign?.allowed && assign?.reason && (
          <p class="why small" id="why-assign" data-testid="why-assign">
            {label(assign.reason)}
          </p>
        )}
        {team.error && <p class="why small">The reviewer directory cannot be read: {String((team.error as Error).message)}</p>}
      </Section>
      <Section title="Escalation" id="escalation">
        {escalation ? (
          <p data-testid="escalation" class="escalation-line">
            <span class="badge escalated">Escalated to {escalation.to}</span> by {escalation.actor.email || escalation.actor.id} on {when(escalation.at)}: {escalation.reason}
          </p>
        ) : (
          <p class="muted small">Any reviewer decides this case.</p>
        )}
        <div class="escalate-actions">
          <button type="button" class="action-escalate" disabled={!actions.escalate?.allowed || busy} onClick={() => setEscalating(true)}>
            {escalation ? "Escalate elsewhere…" : "Escalate…"}
          </button>
          {escalation && (
            <button type="button" class="action-de-escalate" disabled={!actions.de_escalate?.allowed || busy} onClick={() => setHandingBack(true)}>
              Hand back…
            </button>
          )}
        </div>
        {!actions.escalate?.allowed && actions.escalate?.reason && (
          <p class="why small" data-testid="why-escalate">
            {label(actions.escalate.reason)}
          </p>
        )}
        {escalation && !actions.de_escalate?.allowed && actions.de_escalate?.reason && (
          <p class="why small" data-testid="why-de-escalate">
            {label(actions.de_escalate.reason)}
          </p>
        )}
      </Section>
      {escalating && (
        <ReasonDialog
          title="Escalate the case"
          explain="Until it is handed back, only reviewers holding the role you choose decide this case."
          roles={(team.data?.escalation_roles ?? ["senior", "admin"]).filter((r) => r !== escalation?.to)}
          confirm="Escalate"
          busy={busy}
          onClose={() => setEscalating(false)}
          onConfirm={(reason, to) =>
            perform(() => api("POST", `${url}/escalate`, { reason, to }), `Case escalated to ${to}.`).then(() => setEscalating(false))
          }
        />
      )}
      {handingBack && escalation && (
        <ReasonDialog
          title="Hand the case back"
          explain={`Every reviewer may decide it again, not only the ${escalation.to} role.`}
          confirm="Hand back"
          busy={busy}
          onClose={() => setHandingBack(false)}
          onConfirm={(reason) => perform(() => api("POST", `${url}/de-escalate`, { reason }), "Case handed back to every reviewer.").then(() => setHandingBack(false))}
        />
      )}
    </>
  );
}

/** A modal asking for a reason (and, to escalate, a role). */
function ReasonDialog({
  title,
  explain,
  roles,
  confirm,
  busy,
  onClose,
  onConfirm,
}: {
  title: string;
  explain: string;
  roles?: string[];
  confirm: string;
  busy: boolean;
  onClose: () => void;
  onConfirm: (reason: string, role: string) => unknown;
}) {
  const [reason, setReason] = useState("");
  const [role, setRole] = useState(roles?.[0] ?? "");
  return (
    <Dialog title={title} onClose={onClose}>
      <p class="small muted">{explain}</p>
      <form
        class="decision-form reason-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (reason.trim()) onConfirm(reason.trim(), role);
        }}
      >
        {roles && (
          <label>
            To the role
            <select name="role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {label(r)}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Reason (required)
          <textarea name="reason" rows={3} aria-required="true" value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !reason.trim() || (roles !== undefined && !role)}>
            {confirm}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
