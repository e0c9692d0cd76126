/** What the reviewers' alerts API returns (`/v1/review/alerts`). */
export const SEVERITIES = ["critical", "high", "medium", "low", "info"];

export interface Alert {
  id: string;
  customer_id: string;
  scenario: string | null;
  status: "open" | "closed";
  decision: string;
  severity: string;
  score: number;
  transaction_id: string;
  transaction_count: number;
  last_transaction_id: string | null;
  created_at: string;
  last_seen_at?: string | null;
  assignee?: string | null;
  escalated_by?: string | null;
  escalated_at?: string | null;
  escalation_reason?: string | null;
  report_reference?: string | null;
  resolution: string | null;
  reason: string | null;
  closed_by: string | null;
  closed_at: string | null;
}

export interface AlertCounts {
  open: number;
  unassigned: number;
  mine: number;
  escalated: number;
  by_severity: Record<string, number>;
  truncated: boolean;
}

export interface Hit {
  rule_id: string;
  name?: string;
  description?: string | null;
  severity?: string;
  score?: number;
  outcome?: string;
  values?: Record<string, unknown>;
  explanation?: string | null;
  [key: string]: unknown;
}

export interface TransactionRow {
  id: string;
  time: string;
  amount: string | number;
  currency: string;
  direction: string;
  type: string;
  counterparty: { name?: string | null; account?: string | null; country?: string | null };
  channel?: string | null;
  decision: string;
  score: number;
  alert_id?: string | null;
  hits: Hit[];
}

export interface AlertAction {
  id: string;
  action: string;
  at: string;
  actor_id: string;
  actor_email?: string | null;
  text?: string | null;
  assignee?: string | null;
  resolution?: string | null;
  reference?: string | null;
}

export interface AlertDetail {
  alert: Alert;
  hits: Hit[];
  customer: {
    id: string;
    case_id?: string | null;
    workflow_id?: string | null;
    risk_level?: string | null;
    monitored_since?: string | null;
  };
  transactions: TransactionRow[];
  customer_transactions: TransactionRow[];
  history: AlertAction[];
}

export function alertPath(id: string): string {
  return `/alerts/${encodeURIComponent(id)}`;
}
