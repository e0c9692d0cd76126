/** The investigation view of one monitoring alert: the customer and its onboarding case, a chart and a timeline
 * of its transactions with the alert's marked, the rules that hit (values read, explanations), notes and history,
 * and the dispositions: dismiss as a false positive, escalate, report filed. */
import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { type AlertDetail, type Hit, type TransactionRow } from "../alerts";
import { AmountChart } from "../components/AmountChart";
import { Dialog, ErrorBox, KeyValues, Loading, RiskBadge, Section } from "../components/ui";
import { label, text, when } from "../format";
import { useLoad } from "../hooks";
import type { Me } from "../model";
import { link } from "../router";
import { SeverityBadge } from "./AlertsQueue";
import "./alerts.css";

type Disposition = "dismiss" | "escalate" | "report";

const TITLES: Record<Disposition, string> = {
  dismiss: "Dismiss as a false positive",
  escalate: "Escalate the alert",
  report: "Record the report filed",
};

export function AlertView({ id, me }: { id: string; me: Me | null }) {
  const path = `/v1/review/alerts/${encodeURIComponent(id)}`;
  const detail = useLoad(() => api<AlertDetail>("GET", path), [id]);
  const [dialog, setDialog] = useState<Disposition | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [note, setNote] = useState("");

  if (detail.error) return <ErrorBox error={detail.error} retry={detail.reload} />;
  if (!detail.data) return <Loading what="alert" />;
  const { alert, customer, hits, history } = detail.data;
  const canWrite = !!me && me.roles.some((r) => r === "reviewer" || r === "admin");
  const open = alert.status === "open";
  const alerting = new Set(detail.data.transactions.map((t) => t.id));
  const seen = new Map<string, TransactionRow>();
  for (const row of [...detail.data.customer_transactions, ...detail.data.transactions]) seen.set(row.id, row);
  const timeline = [...seen.values()].sort((a, b) => b.time.localeCompare(a.time));

  async function perform(request: () => Promise<unknown>, done: string): Promise<boolean> {
    setBusy(true);
    setNotice(null);
    try {
      await request();
      setNotice(done);
      detail.reload();
      return true;
    } catch (exc) {
      setNotice(exc instanceof ApiError && exc.status === 409 ? `${exc.message} The alert is reloaded.` : (exc as Error).message);
      detail.reload();
      return false;
    } finally {
      setBusy(false);
    }
  }

  const assign = (assignee: string | null) =>
    perform(() => api("POST", `${path}/assign`, { assignee }), assignee ? "The alert is assigned to you." : "The alert is unassigned.");

  return (
    <div class="alert-view">
      <div class="card alert-head">
        <div>
          <h1>
            Alert on <span data-testid="alert-customer">{customer.id}</span>
          </h1>
          <p class="meta">
            <SeverityBadge severity={alert.severity} />
            <span class="badge">{open ? "Open" : `Closed · ${label(alert.resolution ?? "")}`}</span>
            {alert.escalated_at && <span class="badge escalated">Escalated</span>}{" "}
            <span class="muted small">
              {alert.scenario ? label(alert.scenario) : "No scenario"} · {alert.transaction_count} transaction
              {alert.transaction_count === 1 ? "" : "s"} · opened {when(alert.created_at)}
            </span>
          </p>
        </div>
        <div class="alert-actions">
          <a href="/alerts" onClick={link("/alerts")}>
            ← Alerts
          </a>
          {canWrite && open && alert.assignee !== me?.id && (
            <button type="button" disabled={busy} onClick={() => assign("me")}>
              Assign to me
            </button>
          )}
          {canWrite && open && alert.assignee && (
            <button type="button" disabled={busy} onClick={() => assign(null)}>
              Unassign
            </button>
          )}
          {canWrite && open && (
            <>
              <button type="button" class="primary" disabled={busy} onClick={() => setDialog("dismiss")}>
                Dismiss as false positive
              </button>
              {!alert.escalated_at && (
                <button type="button" disabled={busy} onClick={() => setDialog("escalate")}>
                  Escalate
                </button>
              )}
              <button type="button" class="primary reject" disabled={busy} onClick={() => setDialog("report")}>
                Report filed
              </button>
            </>
          )}
        </div>
      </div>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}

      <Section title="Customer" id="alert-customer-card">
        <KeyValues
          rows={[
            ["Customer id", customer.id],
            [
              "Onboarding case",
              customer.case_id ? (
                <a href={`/cases/${encodeURIComponent(customer.case_id)}`} onClick={link(`/cases/${encodeURIComponent(customer.case_id)}`)} data-testid="onboarding-case">
                  {customer.case_id}
                </a>
              ) : (
                <span class="muted">Not onboarded through Arbiter</span>
              ),
            ],
            ["Onboarding risk", <RiskBadge level={customer.risk_level} />],
            ["Customer since", when(customer.monitored_since)],
            ["Assignee", alert.assignee ? (alert.assignee === me?.id ? "Me" : alert.assignee) : "Unassigned"],
            ["Escalation", alert.escalation_reason ?? "—"],
            ["Report reference", alert.report_reference ?? "—"],
            ["Closing reason", alert.reason ?? "—"],
          ]}
        />
      </Section>

      <Section title="Amounts over the last 90 days" id="alert-chart">
        <AmountChart transactions={timeline} alerting={alerting} />
      </Section>

      <Section title="Why it was raised" id="alert-hits">
        <ul class="hits">
          {hits.map((hit) => (
            <HitItem hit={hit} key={hit.rule_id} />
          ))}
        </ul>
        {hits.length === 0 && <p class="muted">No rule explains this alert (the rule set recommended review without a hit).</p>}
      </Section>

      <Section title="Transactions" id="alert-timeline">
        <div class="table-wrap">
          <table class="tx-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Direction</th>
                <th>Type</th>
                <th>Counterparty</th>
                <th class="amount">Amount</th>
                <th>Decision</th>
                <th>Rules hit</th>
              </tr>
            </thead>
            <tbody>
              {timeline.map((row) => (
                <tr key={row.id} class={alerting.has(row.id) ? "alerting" : ""} data-transaction-id={row.id}>
                  <td>{when(row.time)}</td>
                  <td>{label(row.direction)}</td>
                  <td>{row.type}</td>
                  <td>
                    {row.counterparty?.name ?? "—"}
                    {row.counterparty?.country ? <span class="muted small"> · {row.counterparty.country}</span> : null}
                  </td>
                  <td class="amount">
                    {String(row.amount)} {row.currency}
                  </td>
                  <td>{label(row.decision)}</td>
                  <td class="small">{row.hits.map((h) => h.rule_id).join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>

      <Section title="Notes and history" id="alert-history">
        <ul class="history">
          {history.map((entry) => (
            <li key={entry.id} data-action={entry.action}>
              <strong>{label(entry.action)}</strong>
              {entry.assignee ? ` to ${entry.assignee === me?.id ? "me" : entry.assignee}` : ""}
              {entry.reference ? ` (reference ${entry.reference})` : ""}
              {entry.text ? <p>{entry.text}</p> : null}
              <span class="muted small">
                {entry.actor_email || entry.actor_id}, {when(entry.at)}
              </span>
            </li>
          ))}
        </ul>
        {history.length === 0 && <p class="muted">Nothing done on this alert yet.</p>}
        {canWrite && (
          <form
            onSubmit={async (event) => {
              event.preventDefault();
              if (note.trim() && (await perform(() => api("POST", `${path}/notes`, { text: note.trim() }), "Note added."))) setNote("");
            }}
          >
            <label>
              Add a note
              <textarea name="note" rows={3} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
            </label>
            <button type="submit" disabled={busy || !note.trim()}>
              Add note
            </button>
          </form>
        )}
      </Section>

      {dialog && (
        <DispositionDialog
          kind={dialog}
          busy={busy}
          onClose={() => setDialog(null)}
          onConfirm={async (reason, reference) => {
            const [route, body, done] =
              dialog === "dismiss"
                ? ["close", { resolution: "false_positive", reason }, "The alert is dismissed as a false positive."]
                : dialog === "escalate"
                  ? ["escalate", { reason }, "The alert is escalated."]
                  : ["report", { reason, reference }, "The report is recorded and the alert closed."];
            if (await perform(() => api("POST", `${path}/${route}`, body), done as string)) setDialog(null);
          }}
        />
      )}
    </div>
  );
}

function HitItem({ hit }: { hit: Hit }) {
  const values = Object.entries(hit.values ?? {});
  return (
    <li data-rule-id={hit.rule_id}>
      <div>
        <strong>{hit.name || hit.rule_id}</strong> {hit.severity && <SeverityBadge severity={hit.severity} />}{" "}
        <span class="muted small">
          {hit.rule_id} · score {text(hit.score)} · {hit.outcome}
        </span>
      </div>
      {hit.description && <p class="small">{hit.description}</p>}
      {hit.explanation && <p class="explanation">{hit.explanation}</p>}
      {values.length > 0 && (
        <table>
          <tbody>
            {values.map(([name, value]) => (
              <tr key={name}>
                <th class="small">{name}</th>
                <td>{text(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

function DispositionDialog({
  kind,
  busy,
  onClose,
  onConfirm,
}: {
  kind: Disposition;
  busy: boolean;
  onClose: () => void;
  onConfirm: (reason: string, reference: string) => void;
}) {
  const [reason, setReason] = useState("");
  const [reference, setReference] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <Dialog title={TITLES[kind]} onClose={onClose}>
      <form
        class="decision-form"
        data-disposition={kind}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!reason.trim()) return setProblem("Say why.");
          if (kind === "report" && !reference.trim()) return setProblem("Give the report's reference.");
          setProblem(null);
          onConfirm(reason.trim(), reference.trim());
        }}
      >
        <label>
          Reason (required)
          <textarea name="reason" rows={3} aria-required="true" value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </label>
        {kind === "report" && (
          <label>
            Report reference (required)
            <input type="text" name="reference" aria-required="true" value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />
          </label>
        )}
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Saving…" : "Confirm"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
