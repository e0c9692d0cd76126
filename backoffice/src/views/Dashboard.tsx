/** How the team is doing: cases per state, decisions per day, median time to decision, workload per reviewer; how
 * a rule set version performs. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { BarChart, ColumnChart } from "../components/Charts";
import { RuleReport } from "../components/RuleReport";
import { ErrorBox, Loading, Section } from "../components/ui";
import { duration, label } from "../format";
import { useLoad } from "../hooks";
import { STATES } from "../model";

interface DashboardData {
  days: number;
  states: Record<string, number>;
  decisions_per_day: { day: string; approved: number; rejected: number }[];
  decided: number;
  median_seconds_to_decision: number | null;
  workload: { reviewer: string; email?: string | null; open: number }[];
  unassigned: number;
  /** Cases in manual review past their workflow's review SLA, and open cases escalated to a role. */
  overdue?: number;
  escalated?: number;
  truncated: boolean;
}

export function Dashboard() {
  const [days, setDays] = useState(30);
  const data = useLoad(() => api<DashboardData>("GET", `/v1/review/dashboard?days=${days}`), [days]);
  const d = data.data;
  return (
    <div class="dashboard">
      <div class="dashboard-head">
        <h1>Dashboard</h1>
        <label>
          Period
          <select value={days} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))} name="days">
            <option value={7}>Last 7 days</option>
            <option value={30}>Last 30 days</option>
            <option value={90}>Last 90 days</option>
          </select>
        </label>
      </div>
      {data.error ? (
        <ErrorBox error={data.error} retry={data.reload} />
      ) : !d ? (
        <Loading what="the dashboard" />
      ) : (
        <div class="dashboard-grid" aria-busy={data.loading}>
          <Section title="Median time to decision" id="median">
            <p class="big-number" data-testid="median">
              {duration(d.median_seconds_to_decision)}
            </p>
            <p class="muted small">
              over {d.decided} decision{d.decided === 1 ? "" : "s"} of cases created in the last {d.days} days
              {d.truncated ? " (the most recent ones)" : ""}
            </p>
          </Section>
          <Section title="Overdue and escalated" id="sla">
            <p class="big-number" data-testid="overdue">
              {d.overdue ?? 0}
            </p>
            <p class="muted small">
              case{d.overdue === 1 ? "" : "s"} in manual review past their workflow's review SLA;{" "}
              <span data-testid="escalated">{d.escalated ?? 0}</span> open case{d.escalated === 1 ? "" : "s"} escalated
            </p>
          </Section>
          <Section title="Cases per state" id="per-state">
            <BarChart
              title="Cases per state"
              bars={STATES.map((s) => ({ label: label(s), value: d.states[s] ?? 0, className: `state-${s}` }))}
            />
          </Section>
          <Section title="Decisions per day" id="per-day">
            <ColumnChart
              title="Decisions per day"
              columns={d.decisions_per_day.map((day) => ({
                label: day.day,
                parts: [
                  { name: "approved", value: day.approved, className: "state-approved" },
                  { name: "rejected", value: day.rejected, className: "state-rejected" },
                ],
              }))}
            />
            <p class="legend small">
              <span class="swatch state-approved" /> approved <span class="swatch state-rejected" /> rejected
            </p>
          </Section>
          <Section title="Open cases per reviewer" id="workload">
            {d.workload.length === 0 && d.unassigned === 0 ? (
              <p class="muted">No open case is waiting on a reviewer.</p>
            ) : (
              <BarChart
                title="Open cases per reviewer"
                bars={[
                  ...d.workload.map((w) => ({ label: w.email || w.reviewer, value: w.open })),
                  { label: "Unassigned", value: d.unassigned, className: "unassigned" },
                ]}
              />
            )}
          </Section>
        </div>
      )}
      <RuleReport />
    </div>
  );
}
