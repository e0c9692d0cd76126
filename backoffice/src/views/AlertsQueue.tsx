/** The alerts queue: monitoring alerts newest first, counts, filters (status, severity, scenario, assignee,
 * customer), cursor paging, assign to me. */
import { useState } from "preact/hooks";
import { api, ApiError, query } from "../api";
import { alertPath, SEVERITIES, type Alert, type AlertCounts } from "../alerts";
import { ErrorBox, Loading } from "../components/ui";
import { label, when } from "../format";
import { useLoad } from "../hooks";
import type { Me } from "../model";
import { link, navigate } from "../router";
import "./alerts.css";

interface Filters {
  status: string;
  severity: string;
  scenario: string;
  assignee: string;
  customer: string;
}

const DEFAULTS: Filters = { status: "open", severity: "", scenario: "", assignee: "", customer: "" };

function readFilters(): Filters {
  const params = new URLSearchParams(location.search);
  const filters = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Filters)[]) {
    const value = params.get(key);
    if (value !== null) filters[key] = value;
  }
  return filters;
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{label(severity)}</span>;
}

export function AlertsQueue({ me }: { me: Me | null }) {
  const [filters, setFilters] = useState<Filters>(readFilters);
  const [customerText, setCustomerText] = useState(filters.customer);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [notice, setNotice] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () =>
      api<{ items: Alert[]; cursor: string | null }>(
        "GET",
        `/v1/review/alerts${query({ ...filters, status: filters.status === "any" ? "" : filters.status, cursor, limit: 25 })}`,
      ),
    [JSON.stringify(filters), cursor],
  );
  const counts = useLoad(() => api<AlertCounts>("GET", "/v1/review/alerts/counts"), [page.data]);
  const items = page.data?.items ?? [];
  const canAssign = !!me && me.roles.some((r) => r === "reviewer" || r === "admin");

  function change(update: Partial<Filters>) {
    const next = { ...filters, ...update };
    setFilters(next);
    setCursors([null]);
    const changed = Object.fromEntries(Object.entries(next).filter(([key, value]) => value !== DEFAULTS[key as keyof Filters]));
    navigate(`/alerts${query(changed)}`, true);
  }

  async function assignToMe(alert: Alert) {
    setNotice(null);
    try {
      await api("POST", `/v1/review/alerts/${encodeURIComponent(alert.id)}/assign`, { assignee: "me" });
      setNotice(`The alert on ${alert.customer_id} is assigned to you.`);
    } catch (exc) {
      setNotice(exc instanceof ApiError && exc.status === 409 ? "Someone changed the alert first; the queue is reloaded." : (exc as Error).message);
    }
    page.reload();
  }

  const c = counts.data;
  const countButton = (key: string, text: string, value: number | undefined, update: Partial<Filters>, active: boolean) => (
    <button type="button" key={key} class={`count${active ? " active" : ""}`} aria-pressed={active} onClick={() => change(update)} data-testid={`alert-count-${key}`}>
      <span class="number">{c ? (value ?? 0) : "…"}</span>
      <span>{text}</span>
    </button>
  );
  return (
    <div class="queue alerts-queue">
      <div class="counts" role="group" aria-label="Open alerts">
        {countButton("open", "Open", c?.open, { ...DEFAULTS }, filters.status === "open" && !filters.assignee && !filters.severity)}
        {countButton("mine", "Assigned to me", c?.mine, { status: "open", assignee: "me" }, filters.assignee === "me")}
        {SEVERITIES.filter((s) => c?.by_severity?.[s]).map((s) =>
          countButton(s, label(s), c?.by_severity[s], { status: "open", severity: s }, filters.severity === s),
        )}
        <span class="muted small">
          {c ? `${c.unassigned} unassigned · ${c.escalated} escalated${c.truncated ? " (newest 2,000 counted)" : ""}` : ""}
        </span>
      </div>
      <form
        class="filters card"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          change({ customer: customerText.trim() });
        }}
      >
        <label class="grow">
          Customer
          <input type="search" name="customer" placeholder="The customer's id" value={customerText} onInput={(e) => setCustomerText((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Status
          <select name="status" value={filters.status} onChange={(e) => change({ status: (e.target as HTMLSelectElement).value })}>
            <option value="open">Open</option>
            <option value="closed">Closed</option>
            <option value="any">Any</option>
          </select>
        </label>
        <label>
          Severity
          <select name="severity" value={filters.severity} onChange={(e) => change({ severity: (e.target as HTMLSelectElement).value })}>
            <option value="">Any severity</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Scenario
          <input type="text" name="scenario" placeholder="Rule id" value={filters.scenario} onChange={(e) => change({ scenario: (e.target as HTMLInputElement).value.trim() })} />
        </label>
        <label>
          Assignee
          <select name="assignee" value={filters.assignee} onChange={(e) => change({ assignee: (e.target as HTMLSelectElement).value })}>
            <option value="">Anyone</option>
            <option value="me">Me</option>
          </select>
        </label>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setCustomerText("");
              change({ ...DEFAULTS });
            }}
          >
            Reset
          </button>
        </div>
      </form>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {page.error ? (
        <ErrorBox error={page.error} retry={page.reload} />
      ) : page.loading && !page.data ? (
        <Loading what="alerts" />
      ) : (
        <div class={`card table-wrap${page.loading ? " stale" : ""}`} aria-busy={page.loading}>
          <table class="cases alerts">
            <thead>
              <tr>
                <th>Customer</th>
                <th>Scenario</th>
                <th>Severity</th>
                <th>Transactions</th>
                <th>Status</th>
                <th>Assignee</th>
                <th class="wide">Opened</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((alert) => (
                <tr key={alert.id} data-alert-id={alert.id}>
                  <td>
                    <a href={alertPath(alert.id)} onClick={link(alertPath(alert.id))}>
                      {alert.customer_id}
                    </a>
                    <div class="muted small">{alert.id}</div>
                  </td>
                  <td>{alert.scenario ? label(alert.scenario) : "—"}</td>
                  <td>
                    <SeverityBadge severity={alert.severity} />
                    {alert.escalated_at && <span class="badge escalated">Escalated</span>}
                  </td>
                  <td>{alert.transaction_count}</td>
                  <td>{alert.status === "open" ? "Open" : `Closed · ${label(alert.resolution ?? "")}`}</td>
                  <td>{alert.assignee ? (alert.assignee === me?.id ? "Me" : alert.assignee) : <span class="muted">Unassigned</span>}</td>
                  <td class="wide">{when(alert.created_at)}</td>
                  <td>
                    {canAssign && alert.status === "open" && !alert.assignee && (
                      <button type="button" class="small" onClick={() => assignToMe(alert)}>
                        Assign to me
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length === 0 && <p class="empty">No alert matches these filters.</p>}
          <div class="pager">
            <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((cs) => cs.slice(0, -1))}>
              ← Previous
            </button>
            <span class="muted">Page {cursors.length}</span>
            <button type="button" disabled={!page.data?.cursor} onClick={() => setCursors((cs) => [...cs, page.data?.cursor ?? null])}>
              Next →
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
