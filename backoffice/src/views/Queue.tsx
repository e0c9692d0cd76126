/** The review queue: cases needing review first, filters, search, sort, cursor paging, counts, assign to me;
 * escalated and overdue cases flagged. */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, download, query } from "../api";
import { TeamBadges } from "../components/TeamBadges";
import { ErrorBox, Loading, RiskBadge, StateBadge } from "../components/ui";
import { label, when } from "../format";
import { queueOrder, useKeys, useLoad } from "../hooks";
import { RISK_LEVELS, STATES, type Case, type Me, type Reviewer } from "../model";
import { link, navigate } from "../router";

interface Filters {
  state: string;
  workflow: string;
  assignee: string;
  risk: string;
  from: string;
  to: string;
  q: string;
  sort: string;
  pending: string;
  escalated: string;
}

const DEFAULTS: Filters = {
  state: "manual_review",
  workflow: "",
  assignee: "any",
  risk: "",
  from: "",
  to: "",
  q: "",
  sort: "created",
  pending: "",
  escalated: "",
};

function readFilters(): Filters {
  const params = new URLSearchParams(location.search);
  const filters = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Filters)[]) {
    const value = params.get(key);
    if (value !== null) filters[key] = value;
  }
  return filters;
}

function writeFilters(filters: Filters): void {
  const changed = Object.fromEntries(
    Object.entries(filters).filter(([key, value]) => value !== DEFAULTS[key as keyof Filters]),
  );
  navigate(`/${query(changed)}`, true);
}

function filterParams(filters: Filters) {
  return {
    state: filters.state === "any" ? undefined : filters.state,
    workflow: filters.workflow,
    assignee: filters.assignee === "any" ? undefined : filters.assignee,
    risk: filters.risk,
    from: filters.from ? new Date(`${filters.from}T00:00:00`).toISOString() : undefined,
    to: filters.to ? new Date(`${filters.to}T23:59:59.999`).toISOString() : undefined,
    q: filters.q.trim(),
    sort: filters.sort,
    pending_second_review: filters.pending || undefined,
    escalated_to: filters.escalated || undefined,
  };
}

function apiParams(filters: Filters, cursor: string | null) {
  return query({ ...filterParams(filters), cursor, limit: 25 });
}

export function Queue({ me }: { me: Me | null }) {
  const [filters, setFilters] = useState<Filters>(readFilters);
  const [searchText, setSearchText] = useState(filters.q);
  const [cursors, setCursors] = useState<(string | null)[]>([null]); // cursor of each page seen
  const [selected, setSelected] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const [exporting, setExporting] = useState(false);
  const [picked, setPicked] = useState<Set<string>>(new Set());

  async function exportCsv() {
    setExporting(true);
    try {
      const { truncated } = await download(`/v1/review/cases/export.csv${query(filterParams(filters))}`, "cases.csv");
      setNotice(truncated ? "Exported the first 10,000 matching cases (the export's limit)." : "Exported the matching cases.");
    } catch (error) {
      setNotice(`The export failed: ${(error as Error).message}`);
    } finally {
      setExporting(false);
    }
  }
  const cursor = cursors[cursors.length - 1];

  const page = useLoad(
    () => api<{ items: Case[]; cursor: string | null }>("GET", `/v1/review/cases${apiParams(filters, cursor)}`),
    [JSON.stringify(filters), cursor],
  );
  const counts = useLoad(() => api<{ states: Record<string, number>; pending_second_review?: number }>("GET", "/v1/review/counts"), [page.data]);
  const workflows = useLoad(() => api<{ items: { id: string; name?: string }[] }>("GET", "/v1/review/workflows"), []);
  const items = page.data?.items ?? [];
  const canAssign = !!me && me.roles.some((r) => r === "reviewer" || r === "senior" || r === "admin");
  // The directory, to pick whom the picked cases go to (only for those who may assign).
  const team = useLoad(() => (canAssign ? api<{ items: Reviewer[] }>("GET", "/v1/review/reviewers") : Promise.resolve({ items: [] as Reviewer[] })), [canAssign]);

  useEffect(() => {
    queueOrder.save(
      items.map((c) => c.id),
      location.search,
    );
    setSelected((s) => Math.min(s, Math.max(items.length - 1, 0)));
  }, [page.data]);

  /** Assign every picked case to one reviewer in one request (all checked before any is assigned). */
  async function assignPicked(to: string) {
    setNotice(null);
    const ids = items.map((c) => c.id).filter((id) => picked.has(id));
    try {
      await api("POST", "/v1/review/cases/assign", { case_ids: ids, to });
      const who = to === "me" ? "you" : (team.data?.items ?? []).find((r) => r.id === to)?.email || to;
      setNotice(`${ids.length} case${ids.length === 1 ? "" : "s"} assigned to ${who}.`);
      setPicked(new Set());
    } catch (exc) {
      setNotice(`Nothing was assigned: ${(exc as Error).message}`);
    }
    page.reload();
  }

  function change(update: Partial<Filters>) {
    const next = { ...filters, ...update };
    setFilters(next);
    setCursors([null]);
    setSelected(0);
    writeFilters(next);
  }

  async function assignToMe(item: Case) {
    setNotice(null);
    try {
      await api("POST", `/v1/review/cases/${encodeURIComponent(item.id)}/assign`, { assignee: "me" });
      setNotice(`${item.entity_name || item.id} is assigned to you.`);
    } catch (exc) {
      setNotice(exc instanceof ApiError && exc.status === 409 ? "Someone changed the case first; the queue is reloaded." : String((exc as Error).message));
    }
    page.reload();
  }

  useKeys({
    j: () => setSelected((s) => Math.min(s + 1, items.length - 1)),
    k: () => setSelected((s) => Math.max(s - 1, 0)),
    Enter: () => items[selected] && navigate(`/cases/${encodeURIComponent(items[selected].id)}`),
    o: () => items[selected] && navigate(`/cases/${encodeURIComponent(items[selected].id)}`),
    "/": () => searchRef.current?.focus(),
  });

  const countValues = counts.data?.states ?? {};
  return (
    <div class="queue">
      <div class="counts" role="group" aria-label="Cases per state">
        {STATES.map((state) => (
          <button
            type="button"
            key={state}
            class={`count state-${state}${filters.state === state ? " active" : ""}`}
            aria-pressed={filters.state === state}
            onClick={() => change({ state, pending: "" })}
            data-testid={`count-${state}`}
          >
            <span class="number">{counts.data ? (countValues[state] ?? 0) : "…"}</span>
            <span>{label(state)}</span>
          </button>
        ))}
        <button
          type="button"
          class={`count state-pending${filters.pending === "true" ? " active" : ""}`}
          aria-pressed={filters.pending === "true"}
          onClick={() => change(filters.pending === "true" ? { pending: "" } : { state: "manual_review", pending: "true" })}
          data-testid="count-pending_second_review"
        >
          <span class="number">{counts.data ? (counts.data.pending_second_review ?? 0) : "…"}</span>
          <span>Awaiting second review</span>
        </button>
      </div>

      <form
        class="filters card"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          change({ q: searchText });
        }}
      >
        <label class="grow">
          Search
          <input
            ref={searchRef}
            type="search"
            name="q"
            placeholder="Name, registration number, correlation id  ( / )"
            value={searchText}
            onInput={(e) => setSearchText((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          State
          <select name="state" value={filters.state} onChange={(e) => change({ state: (e.target as HTMLSelectElement).value })}>
            <option value="any">Any state</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Workflow
          <select name="workflow" value={filters.workflow} onChange={(e) => change({ workflow: (e.target as HTMLSelectElement).value })}>
            <option value="">Any workflow</option>
            {(workflows.data?.items ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name || w.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <select name="assignee" value={filters.assignee} onChange={(e) => change({ assignee: (e.target as HTMLSelectElement).value })}>
            <option value="any">Anyone</option>
            <option value="me">Me</option>
            <option value="unassigned">Unassigned</option>
          </select>
        </label>
        <label>
          Escalation
          <select name="escalated" value={filters.escalated} onChange={(e) => change({ escalated: (e.target as HTMLSelectElement).value })}>
            <option value="">Any</option>
            <option value="any">Escalated</option>
            <option value="senior">Escalated to senior</option>
            <option value="admin">Escalated to admin</option>
            <option value="none">Not escalated</option>
          </select>
        </label>
        <label>
          Risk
          <select name="risk" value={filters.risk} onChange={(e) => change({ risk: (e.target as HTMLSelectElement).value })}>
            <option value="">Any risk</option>
            {RISK_LEVELS.map((r) => (
              <option key={r} value={r}>
                {label(r)}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" name="from" value={filters.from} onChange={(e) => change({ from: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          To
          <input type="date" name="to" value={filters.to} onChange={(e) => change({ to: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          Sort
          <select name="sort" value={filters.sort} onChange={(e) => change({ sort: (e.target as HTMLSelectElement).value })}>
            <option value="created">Oldest first</option>
            <option value="-created">Newest first</option>
          </select>
        </label>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Search
          </button>
          <button
            type="button"
            onClick={() => {
              setSearchText("");
              change({ ...DEFAULTS });
            }}
          >
            Reset
          </button>
          <button type="button" onClick={exportCsv} disabled={exporting}>
            {exporting ? "Exporting…" : "Export CSV"}
          </button>
        </div>
      </form>

      {canAssign && picked.size > 0 && (
        <BulkAssign count={picked.size} team={(team.data?.items ?? []).filter((r) => r.enabled && r.roles.some((role) => role !== "viewer"))} onAssign={assignPicked} />
      )}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {page.error ? (
        <ErrorBox error={page.error} retry={page.reload} />
      ) : page.loading && !page.data ? (
        <Loading what="cases" />
      ) : (
        <div class={`card table-wrap${page.loading ? " stale" : ""}`} aria-busy={page.loading}>
          <table class="cases">
            <thead>
              <tr>
                {canAssign && <th aria-label="Pick" />}
                <th>Entity</th>
                <th>State</th>
                <th class="wide">Workflow</th>
                <th>Risk</th>
                <th>Assignee</th>
                <th class="wide">Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((item, index) => (
                <tr key={item.id} class={`${index === selected ? "selected" : ""}${item.overdue ? " overdue" : ""}`} data-case-id={item.id}>
                  {canAssign && (
                    <td>
                      {!["approved", "rejected", "failed"].includes(item.state) && (
                        <input
                          type="checkbox"
                          aria-label={`Pick ${item.entity_name || item.id}`}
                          checked={picked.has(item.id)}
                          onChange={(e) => {
                            const next = new Set(picked);
                            if ((e.target as HTMLInputElement).checked) next.add(item.id);
                            else next.delete(item.id);
                            setPicked(next);
                          }}
                        />
                      )}
                    </td>
                  )}
                  <td>
                    <a href={`/cases/${encodeURIComponent(item.id)}`} onClick={link(`/cases/${encodeURIComponent(item.id)}`)}>
                      {item.entity_name || item.id}
                    </a>
                    <div class="muted small">{item.correlation_id || item.id}</div>
                  </td>
                  <td>
                    <StateBadge state={item.state} />
                    <TeamBadges item={item} />
                    {item.pending_second_review && (
                      <div class="pending-review small" data-testid="pending-second-review">
                        awaiting second review
                      </div>
                    )}
                  </td>
                  <td class="wide">{item.workflow_id}</td>
                  <td>
                    <RiskBadge level={item.risk?.level} score={item.risk?.score} />
                  </td>
                  <td>{item.assignee ? item.assignee.email || item.assignee.id : <span class="muted">Unassigned</span>}</td>
                  <td class="wide">{when(item.created_at)}</td>
                  <td>
                    {canAssign && !item.assignee && !["approved", "rejected", "failed"].includes(item.state) && (
                      <button type="button" class="small" onClick={() => assignToMe(item)}>
                        Assign to me
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length === 0 && <p class="empty">No case matches these filters.</p>}
          <div class="pager">
            <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              ← Previous
            </button>
            <span class="muted">Page {cursors.length}</span>
            <button
              type="button"
              disabled={!page.data?.cursor}
              onClick={() => setCursors((c) => [...c, page.data?.cursor ?? null])}
            >
              Next →
            </button>
          </div>
          <p class="muted small hint">Keys: j / k move, Enter opens, / searches.</p>
        </div>
      )}
    </div>
  );
}

/** The picked cases, to one reviewer: me or a colleague from the directory. */
function BulkAssign({ count, team, onAssign }: { count: number; team: Reviewer[]; onAssign: (to: string) => Promise<void> }) {
  const [to, setTo] = useState("me");
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="bulk-assign card"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        await onAssign(to);
        setBusy(false);
      }}
    >
      <span>
        {count} case{count === 1 ? "" : "s"} picked
      </span>
      <label>
        Assign picked to
        <select name="bulk-to" value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
          <option value="me">Me</option>
          {team.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name ? `${r.name} (${r.email ?? r.id})` : r.email || r.id}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="primary" disabled={busy}>
        Assign picked
      </button>
    </form>
  );
}
